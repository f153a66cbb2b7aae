/**
 * Public surface of the or1k emulator package. Browser-safe: nothing exported
 * here uses Node APIs (host backends live in emulator/host/, imported directly).
 */
export { createMachine, loadBareMetal, deviceHelp, Machine } from './machine.ts';
export type { MachineOptions, RunStatus } from './machine.ts';
export { Cpu, StopReason, NS_PER_TICK } from './cpu/cpu.ts';
export type { CodeCacheStats } from './cpu/jit/code-cache.ts';
export { primeCpu } from './cpu/prime.ts';
export { Bus } from './memory/bus.ts';
export { Ram } from './memory/ram.ts';
export { parseElf, loadKernelElf, loadUserElf, ElfError } from './elf.ts';
export type { ElfFile } from './elf.ts';
export { MemoryBlockBackend } from './devices/block-backend.ts';
export type { BlockBackend } from './devices/block-backend.ts';
export { BufferCharBackend } from './devices/char-backend.ts';
export type { CharBackend } from './devices/char-backend.ts';
export { QomError } from './qom/errors.ts';
export { objectCast, objectDynamicCast, QObject } from './qom/object.ts';
export type { TypeInfo } from './qom/registry.ts';
export { DeviceClass, deviceClass, deviceClassSetParentRealize, realizedInstance, TYPE_DEVICE, TYPE_SYS_BUS_DEVICE } from './qom/qdev.ts';
export type { RealizeContext, BusInfo } from './qom/qdev.ts';
export { MachineClass, machineClass, TYPE_MACHINE } from './board/board.ts';
export type { BoardDevice } from './board/board.ts';
export { buildDtb, TYPE_VIRT_MACHINE, VIRT_DEVICES, VIRT_USER_DEVICES } from './board/virt.ts';
export { buildDeviceTree } from './board/devicetree.ts';
export { QemuFdt } from './fdt/qemu-fdt.ts';
export { Monitor, runningMachineMonitor, splitArgs, MONITOR_PROMPT } from './monitor/monitor.ts';
export type { MonitorOptions, MonitorReply } from './monitor/monitor.ts';
export type { MmioHandler, IrqLine, GuestRam, Clock, Device, FinishEvent } from './device.ts';
export { TYPE_OR1KSIM_MACHINE, OR1KSIM_DEVICES, OR1KSIM_ETHOC } from './board/or1k-sim.ts';
export { BOARDS, DEFAULT_BOARD, findBoard, boardHelpText } from './board/boards.ts';
export type { BoardEntry } from './board/boards.ts';
export { CPU_MODELS, cpuModel } from './cpu/spr.ts';
export type { CpuModel, CpuModelName } from './cpu/spr.ts';
export type { NetBackend, NetFrontend } from './net/net-backend.ts';
export { CableEnd, createCable } from './net/cable.ts';
export { FrameQueue } from './net/frame-queue.ts';
export { DumpBackend, PcapWriter, pcapFileHeader, pcapRecord } from './net/pcap.ts';
export { TYPE_NETDEV, DEFAULT_MAC, parseMac, formatMac } from './net/netdev.ts';
export { VirtioNet, TYPE_VIRTIO_NET } from './devices/virtio-net.ts';
export { UserNet, parseHostForward } from './net/user-net.ts';
export type { UserNetOptions, HostForward } from './net/user-net.ts';
export type { NetAttempt } from './net/tcp.ts';
export type { HostNet, HostTcpSocket, HostTcpEvents, HostTcpListener, HostListenEvents, HostUdpSocket, HostUdpEvents } from './net/host-net.ts';
export { probeGuestPort, httpGetFromGuest } from './net/guest-probe.ts';
export type { HttpResult, GuestConnector } from './net/guest-probe.ts';
export { Ethoc, TYPE_ETHOC } from './devices/ethoc.ts';
export { VIRT_USER_SYSBUS } from './board/virt.ts';
