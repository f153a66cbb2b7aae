/**
 * Buildroot makedevs device tables: parsing (ranges, count = number of nodes,
 * errors with file:line:col) and the nodes they put in an image (debugfs).
 */
import { describe, expect, it } from 'vitest';
import { parseDeviceTable } from '../../src/recipe/device-table.ts';
import { buildRecipe, listImage, recipeIssues, project, buildIn } from './helpers.ts';
import { debugfsStats } from '../helpers/oracles.ts';

const TABLE = `# <name> <type> <mode> <uid> <gid> <major> <minor> <start> <inc> <count>
/dev            d  755  0 0 -  -  -  -  -
/dev/mem        c  640  0 0 1  1  0  0  -
/dev/tty        c  666  0 5 5  0  -  -  -
/dev/ttyS       c  666  0 0 4  64 0  1  4
/dev/vda        b  640  0 6 254 0 1  1  3
/dev/initctl    p  600  0 0 -  -  -  -  -
/etc/shadow     f  600  0 0 -  -  -  -  -
`;

describe('device tables', () => {
  it('expands ranges: count nodes named <name><start+i> with minor + i*inc', () => {
    const { entries, issues } = parseDeviceTable('devices.txt', TABLE);
    expect(issues).toEqual([]);
    expect(entries.map((e) => `${e.path} ${e.type} ${e.mode.toString(8)} ${e.uid}:${e.gid} ${e.major}:${e.minor}`)).toEqual([
      '/dev d 755 0:0 0:0',
      '/dev/mem c 640 0:0 1:1',
      '/dev/tty c 666 0:5 5:0',
      '/dev/ttyS0 c 666 0:0 4:64',
      '/dev/ttyS1 c 666 0:0 4:65',
      '/dev/ttyS2 c 666 0:0 4:66',
      '/dev/ttyS3 c 666 0:0 4:67',
      '/dev/vda1 b 640 0:6 254:0',
      '/dev/vda2 b 640 0:6 254:1',
      '/dev/vda3 b 640 0:6 254:2',
      '/dev/initctl p 600 0:0 0:0',
      '/etc/shadow f 600 0:0 0:0',
    ]);
    const inc2 = parseDeviceTable('t', '/dev/hd b 640 0 0 3 0 0 64 2\n').entries;
    expect(inc2.map((e) => [e.path, e.minor])).toEqual([['/dev/hd0', 0], ['/dev/hd1', 64]]);
  });

  it('reports bad rows with positions and keeps going', () => {
    const { issues } = parseDeviceTable('t.txt', '/dev/a c 666 0 0 1\n/dev/b x 666 0 0 1 1 - - -\n/dev/c c 9z9 0 0 1 1 - - -\n/dev/d c 666 0 0 - 1 - - -\n');
    expect(issues.map((i) => `${i.pos?.line}:${i.pos?.col} ${i.message}`)).toEqual([
      '1:18 a device table row has 10 fields, this one has 6',
      '2:8 unknown device table type "x"',
      '3:10 mode 9z9 is not octal',
      '4:18 device /dev/d needs major and minor numbers',
    ]);
  });

  it('puts the nodes in the image, fixing modes of existing files', async () => {
    const { img } = await buildRecipe('files: [{ path: /etc/shadow, content: "root:!:::::::\\n", mode: "0644" }]\ndeviceTable: devices.txt\n', { 'devices.txt': TABLE });
    const list = listImage(img);
    expect([...list.keys()].filter((p) => p.startsWith('/dev/')).sort()).toEqual([
      '/dev/initctl', '/dev/mem', '/dev/tty', '/dev/ttyS0', '/dev/ttyS1', '/dev/ttyS2', '/dev/ttyS3', '/dev/vda1', '/dev/vda2', '/dev/vda3',
    ]);
    const [s1, s3, v2, shadow, fifo] = debugfsStats(img, ['/dev/ttyS1', '/dev/ttyS3', '/dev/vda2', '/etc/shadow', '/dev/initctl']);
    expect([s1!.type, s1!.major, s1!.minor, s1!.perm]).toEqual(['character special', 4, 65, 0o666]);
    expect([s3!.minor]).toEqual([67]);
    expect([v2!.type, v2!.major, v2!.minor, v2!.gid]).toEqual(['block special', 254, 1, 6]);
    expect(shadow!.perm).toBe(0o600);
    expect(fifo!.type).toBe('FIFO');
  });

  it('a bad table fails the build pointing into the table file', async () => {
    const dir = project({ 'recipe.yml': 'deviceTable: devices.txt\n', 'devices.txt': '# ok\n/dev/x q 600 0 0 1 1 - - -\n' });
    const err = await recipeIssues(() => buildIn(dir));
    expect(err.issues[0]).toMatchObject({ code: 'DEVICE_TABLE_INVALID', pos: { file: 'devices.txt', line: 2, col: 8 } });
    expect(err.message).toContain('> 2 | /dev/x q 600 0 0 1 1 - - -');
  });
});
