/**
 * Host side of the emulator package (`mkrootfs/emulator/host`): the parts
 * that use Node APIs — a file-backed disk, terminal consoles, the run loop
 * that paces a machine against the host clock, and a Linux boot machine
 * assembled from a kernel, a command line and a disk.
 */
export { FileDisk, SECTOR_SIZE } from './file-disk.ts';
export type { FileDiskOptions, DiskStats } from './file-disk.ts';
export { HeadlessConsole, InteractiveConsole, CONSOLE_HELP, consoleHelp } from './console.ts';
export type { ConsoleMonitor, HostConsole, TerminalIn, TerminalOut, ProcessHooks, InteractiveConsoleOptions } from './console.ts';
export { createBootMachine, machineTarget } from './machine-target.ts';
export { elfFile } from './elf-file.ts';
export { usePageTiers } from './page-tiers.ts';
export type { BootMachineConfig, BootMachine } from './machine-target.ts';
export { runMachine } from './runner.ts';
export type { RunTarget, RunHooks, RunOptions, RunEnd, RunResult } from './runner.ts';
export { SocketBackend, SOCKET_MAX_FRAME } from './net/socket-backend.ts';
export type { SocketBackendOptions, SocketStats } from './net/socket-backend.ts';
export { PcapFile } from './net/pcap-file.ts';
export { NodeHostNet } from './net/user-host.ts';
