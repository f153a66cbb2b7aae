/**
 * The oracle for the monitor: QEMU's own human monitor, reached through QMP's
 * `human-monitor-command` (clean text, no readline echo). Starts
 * `qemu-system-or1k -M virt -S` (CPU stopped, nothing booted), runs the
 * commands in order and returns each one's text.
 */
import { spawn } from 'node:child_process';

export async function qemuHmp(commands: readonly string[], extraArgs: readonly string[] = [], timeoutMs = 30_000): Promise<string[]> {
  const qemu = spawn('qemu-system-or1k', ['-M', 'virt', '-S', '-display', 'none', '-nodefaults', '-serial', 'null', '-monitor', 'none', '-qmp', 'stdio', ...extraArgs], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const outputs: string[] = [];
    let buffer = '';
    let stderr = '';
    let sent = 0;
    const timer = setTimeout(() => {
      qemu.kill('SIGKILL');
      reject(new Error(`qemu-system-or1k did not answer within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    const send = (msg: object): void => {
      qemu.stdin.write(JSON.stringify(msg) + '\n');
    };
    const next = (): void => {
      if (sent < commands.length) send({ execute: 'human-monitor-command', arguments: { 'command-line': commands[sent++] } });
      else send({ execute: 'quit' });
    };
    qemu.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    qemu.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    qemu.on('close', (code) => {
      clearTimeout(timer);
      if (outputs.length === commands.length) resolve(outputs);
      else reject(new Error(`qemu-system-or1k exited ${code} after ${outputs.length}/${commands.length} commands; stderr:\n${stderr}`));
    });
    let greeted = false;
    let capabilities = false;
    qemu.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const msg = JSON.parse(buffer.slice(0, nl)) as { QMP?: unknown; event?: string; return?: unknown; error?: { desc: string } };
        buffer = buffer.slice(nl + 1);
        if (msg.event) continue;
        if (!greeted && msg.QMP) {
          greeted = true;
          send({ execute: 'qmp_capabilities' });
          continue;
        }
        if (!capabilities) {
          capabilities = true;
          next();
          continue;
        }
        if (msg.error) {
          reject(new Error(`QMP error: ${msg.error.desc}`));
          qemu.kill('SIGKILL');
          return;
        }
        if (outputs.length < commands.length) {
          outputs.push(typeof msg.return === 'string' ? msg.return.replace(/\r\n/g, '\n') : ''); // the monitor writes CRLF
          next();
        }
      }
    });
  });
}
