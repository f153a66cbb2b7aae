/**
 * The recipe schema: the single source of the recipe's TypeScript types, its
 * validation, the JSON Schema editors use (`mkrootfs schema`) and the field
 * reference in recipes/README.md. A field does not exist until it is here,
 * with a description.
 */
import { z } from 'zod';
import { EXT2_ONLY_FIELDS, IMAGE_FORMATS } from '../image-format.ts';

const SIZE_RE = /^\d+(\.\d+)?\s*([KMGT]i?B?|B)?$/i;

/** An octal permission string such as "0755" or "755". */
const mode = (what: string) => z.string()
  .regex(/^0?[0-7]{3,4}$/, 'a mode is an octal string such as "0755"')
  .describe(`Permission bits of ${what} as an octal STRING, e.g. "0755" (quoted: YAML reads a bare 0755 as the decimal number 755).`);

/** A user or group: a number, or a name defined in the recipe's `users`/`groups`. */
const owner = (which: 'uid' | 'gid', what: string) => z.union([z.number().int().min(0).max(0xffffffff), z.string().min(1)])
  .describe(`Owning ${which === 'uid' ? 'user' : 'group'} of ${what}: a number or a name defined in this recipe's \`${which === 'uid' ? 'users' : 'groups'}\` (default 0).`);

const guestPath = (what: string) => z.string().min(1).regex(/^\//, 'an absolute path inside the image, starting with "/"')
  .describe(`Absolute path of ${what} inside the image.`);

const hostPath = (what: string) => z.string().min(1)
  .describe(`${what} on the build machine, relative to the recipe file's directory (or absolute). \${var} references are substituted.`);

export const ImageSection = z.strictObject({
  format: z.enum(IMAGE_FORMATS).default('ext2')
    .describe('What the build writes: "ext2" (a file system image, booted as a disk; the default), "cpio" (a newc cpio archive: an initramfs, which `boot --initrd` loads), or "cpio.gz" (the same archive, gzip-compressed). size, blockSize, inodes, label and reservedPercent apply to ext2 only: with cpio they are an error. `build --format` overrides this field (the recipe\'s ext2 fields are then ignored).'),
  size: z.string().regex(/^(auto|\+?\d+(\.\d+)?\s*([KMGT]i?B?|B)?)$/i, 'a size is "auto", "64M", or "+8M"')
    .optional()
    .describe('Image size: a fixed size like "64M" (suffixes K, M, G; powers of 1024), "auto" (just large enough for the content), or "+8M" (auto plus that much free space). Default "auto".'),
  blockSize: z.union([z.literal(1024), z.literal(2048), z.literal(4096)]).optional()
    .describe('ext2 block size in bytes: 1024, 2048 or 4096 (default chosen by the writer).'),
  inodes: z.number().int().positive().optional()
    .describe('Number of inodes (default: enough for the content plus headroom, chosen by the writer).'),
  label: z.string().refine((s) => new TextEncoder().encode(s).length <= 16, 'a volume label is at most 16 bytes').optional()
    .describe('Volume label (at most 16 bytes).'),
  reservedPercent: z.number().min(0).max(50).optional()
    .describe('Percentage of blocks reserved for root, like mke2fs -m (default: the writer\'s, 5).'),
  output: z.string().min(1).optional()
    .describe('Where to write the image, relative to the CURRENT directory (default out/rootfs.img — out/rootfs.cpio or out/rootfs.cpio.gz for those formats — or that name in `outputDir` from .mkrootfsrc.yml). The -o option overrides it.'),
}).superRefine((image, ctx) => {
  if (image.format === 'ext2') return;
  for (const field of EXT2_ONLY_FIELDS) {
    if (image[field] === undefined) continue;
    ctx.addIssue({
      code: 'custom',
      path: [field],
      message: `${field} applies to ext2 images only; a ${image.format} archive has no ${field === 'label' ? 'volume label' : field === 'reservedPercent' ? 'reserved blocks' : 'geometry'} (remove it, or use format: ext2)`,
    });
  }
}).describe('Image format, geometry and output.');
export type ImageSection = z.infer<typeof ImageSection>;

export const LayerEntry = z.strictObject({
  source: hostPath('A directory or a tar archive (.tar, .tar.gz or .tgz, .tar.xz, .tar.zst: the compression is recognised by content)'),
  dest: z.string().regex(/^\//).default('/')
    .describe('Directory inside the image where the layer\'s content goes (default "/").'),
  owner: z.union([z.enum(['root', 'keep']), z.string().regex(/^\d+:\d+$/, 'owner is root, keep, or "UID:GID"')]).default('root')
    .describe('Ownership of imported entries: "root" (0:0, default), "keep" (as on the host / in the archive), or "UID:GID".'),
  maxRatio: z.number().positive().optional()
    .describe('Tar archives only: the build refuses a layer that expands to more than this many times the archive\'s size (sparse files\' holes included), as a guard against decompression bombs; any archive may expand to 64 MiB. Raise it for a trusted archive of very compressible data. Default 100.'),
  exclude: z.array(z.string().min(1)).optional()
    .describe('Glob patterns of entries left out of the image, with everything under them (rsync --exclude rules): a pattern matches whole path components at any depth ("*~", ".git", "ssh/*_key" matches etc/ssh/host_key); a leading "/" anchors it at the layer root ("/build"); a trailing "/" matches directories only; * and ? do not cross "/", ** does; [a-z] and [!a-z] are sets; \\ escapes. Default: Buildroot\'s overlay excludes [".git", ".svn", ".hg", ".bzr", "CVS", ".empty", "*~"]; giving a list replaces them (exclude: [] keeps everything).'),
}).describe('One layer. Later layers override earlier ones entry by entry; directories merge.');

export const FileEntry = z.strictObject({
  path: guestPath('the file'),
  content: z.string().optional().describe('Inline file content (text, written as UTF-8). Exactly one of content and source.'),
  source: hostPath('A host file whose bytes become the file').optional()
    .describe('A host file whose bytes become the file, relative to the recipe file\'s directory. Exactly one of content and source.'),
  mode: mode('the file').default('0644'),
  uid: owner('uid', 'the file').default(0),
  gid: owner('gid', 'the file').default(0),
}).describe('A regular file with inline content or copied from a host file.');

export const DirEntry = z.strictObject({
  path: guestPath('the directory'),
  mode: mode('the directory').default('0755'),
  uid: owner('uid', 'the directory').default(0),
  gid: owner('gid', 'the directory').default(0),
}).describe('A directory (parents are created as needed, mode 0755, root-owned).');

export const SymlinkEntry = z.strictObject({
  path: guestPath('the symbolic link'),
  target: z.string().min(1).describe('Link target, stored verbatim (relative targets resolve from the link\'s directory in the guest).'),
  uid: owner('uid', 'the link').default(0),
  gid: owner('gid', 'the link').default(0),
}).describe('A symbolic link.');

export const HardlinkEntry = z.strictObject({
  path: guestPath('the new name'),
  target: guestPath('an existing non-directory entry (from layers or earlier sections)'),
}).describe('A hard link: a second name for an existing file (applied after layers, files and devices).');

export const DeviceEntry = z.strictObject({
  path: guestPath('the node'),
  type: z.enum(['char', 'block', 'fifo']).describe('Node type: char, block or fifo.'),
  major: z.number().int().min(0).max(4095).optional().describe('Major device number (char and block nodes).'),
  minor: z.number().int().min(0).max(1048575).optional().describe('Minor device number (char and block nodes).'),
  mode: mode('the node').default('0600'),
  uid: owner('uid', 'the node').default(0),
  gid: owner('gid', 'the node').default(0),
}).describe('A device node or fifo.');

export const UserEntry = z.strictObject({
  name: z.string().regex(/^[a-z_][a-z0-9_.-]*\$?$/i, 'a user name is letters, digits, "_", "-", "."').max(32).describe('Login name.'),
  uid: z.number().int().min(0).describe('Numeric user id.'),
  gid: z.union([z.number().int().min(0), z.string().min(1)]).optional()
    .describe('Primary group: a number or a group name from `groups`. Default: the group named like the user if defined, else a new group with gid = uid.'),
  home: z.string().default('/').describe('Home directory (created when absent, owned by the user, mode 0700 unless it is "/").'),
  shell: z.string().default('/bin/sh').describe('Login shell.'),
  gecos: z.string().default('').describe('Comment field (full name).'),
  password: z.string().default('!').describe('crypt(3) hash for /etc/shadow; default "!" (locked). "" means no password.'),
  groups: z.array(z.string()).default([]).describe('Supplementary groups (names from `groups`).'),
}).describe('A user in /etc/passwd and /etc/shadow.');

export const GroupEntry = z.strictObject({
  name: z.string().regex(/^[a-z_][a-z0-9_.-]*$/i, 'a group name is letters, digits, "_", "-", "."').max(32).describe('Group name.'),
  gid: z.number().int().min(0).describe('Numeric group id.'),
  members: z.array(z.string()).default([]).describe('Member user names (users listing this group in `groups` are added automatically).'),
}).describe('A group in /etc/group.');

export const MountEntry = z.strictObject({
  device: z.string().min(1).describe('What to mount: a device (/dev/vda) or a pseudo file system name (proc, sysfs, devtmpfs, tmpfs).'),
  path: guestPath('the mount point (created as a directory)'),
  type: z.string().min(1).describe('File system type (proc, sysfs, devtmpfs, tmpfs, ext2, ...).'),
  options: z.string().default('defaults').describe('Mount options (fstab column 4).'),
  dump: z.number().int().min(0).default(0).describe('fstab dump field.'),
  pass: z.number().int().min(0).default(0).describe('fstab fsck pass field.'),
  mode: mode('the mount-point directory').default('0755'),
}).describe('One /etc/fstab line plus its mount-point directory.');

export const InitSection = z.strictObject({
  rcS: z.string().optional().describe('Text of /etc/init.d/rcS (mode 0755), run by busybox init at sysinit.'),
  inittab: z.string().optional().describe('Full text of /etc/inittab, replacing the generated one.'),
  shell: z.enum(['askfirst', 'respawn', 'none']).default('askfirst')
    .describe('Console shell in the generated inittab: "askfirst" (::askfirst:-/bin/sh, press Enter to start), "respawn" (console::respawn:-/bin/sh), or "none".'),
}).describe('busybox init: /etc/init.d/rcS and /etc/inittab (sysinit rcS, a console shell, shutdown actions "umount -a -r" and "swapoff -a").');

export const ProgramEntry = z.strictObject({
  path: guestPath('the compiled program'),
  sources: z.array(hostPath('A C source file')).min(1).describe('C sources, relative to the recipe file\'s directory.'),
  cflags: z.array(z.string()).default([]).describe('Extra compiler flags.'),
  mode: mode('the program').default('0755'),
}).describe('A program compiled statically for the guest (or1k, musl) with the guest toolchain.');

export const BootStep = z.strictObject({
  expect: z.string().optional().describe('Wait for this text on the console.'),
  send: z.string().optional().describe('Then type this line, followed by Enter (escapes: \\n \\r \\t \\e \\xHH \\\\ and ^X control keys).'),
  timeout: z.number().positive().optional().describe('Seconds allowed for this step (default: the section timeout).'),
  'wait-port': z.number().int().min(1).max(65535).optional()
    .describe('Then wait until this guest TCP port accepts a connection through the user network (needs `--nic user`); retried until the step times out.'),
  http: z.strictObject({
    port: z.number().int().min(1).max(65535).describe('Guest TCP port of the HTTP server.'),
    path: z.string().regex(/^\/[^\s]*$/, 'path starts with "/" and has no spaces').default('/').describe('Path to GET (default "/").'),
    expect: z.string().describe('Text (or /regex/) the response body must contain.'),
  }).optional().describe('Then GET http://10.0.2.15:PORT/PATH through the user network (needs `--nic user`) until the body matches; retried until the step times out.'),
}).describe('One scripted interaction: console expect/send, or a network check (wait-port, http).');

export const BootSection = z.strictObject({
  kernel: z.string().optional().describe('Kernel image (vmlinux) on the host, relative to the recipe file\'s directory. Default: the guest kernel (${guest.kernel}).'),
  machine: z.enum(['virt', 'or1k-sim']).optional().describe('Board, as QEMU -M: "virt" (default; the image is the virtio disk) or "or1k-sim" (the OpenRISC how-to\'s machine: four UARTs, no disk, the root file system as `initrd`, l.nop 1 powers off).'),
  cpu: z.enum(['or1200', 'any']).optional().describe('CPU model, as QEMU -cpu: its VR/UPR/CPUCFGR/VR2/AVR registers. Default: or1200 on or1k-sim, any on virt.'),
  initrd: z.string().optional().describe('Initrd (an initramfs cpio) on the host, relative to the recipe file\'s directory: loaded after the kernel and named in /chosen/linux,initrd-start/-end, as QEMU -initrd.'),
  append: z.string().optional().describe('Kernel command line. Default "console=ttyS0 root=/dev/vda rw" (virt), empty on or1k-sim (as QEMU without -append).'),
  memory: z.string().regex(SIZE_RE, 'memory is a size such as "128M"').optional().describe('Guest RAM size, e.g. "256M". Default "128M".'),
  timeout: z.number().positive().optional().describe('Seconds of guest time before the boot check fails with a timeout (default 120).'),
  expect: z.array(z.string()).optional().describe('Texts that must all appear on the console, in order, for the check to pass.'),
  fail: z.array(z.string()).optional().describe('Texts that fail the check as soon as they appear; "Kernel panic" is always watched in addition.'),
  steps: z.array(BootStep).optional().describe('Ordered expect/send interactions (used instead of `expect` when given).'),
  devices: z.array(z.string()).optional().describe('Extra devices as "TYPE,prop=value,..." strings (see `mkrootfs boot --device help`).'),
  realtime: z.boolean().optional().describe('Pace the guest clock to wall time (default false: virtual time, deterministic).'),
}).describe('How `mkrootfs boot` checks that the image boots.');
export type BootSection = z.infer<typeof BootSection>;

export const VarDef = z.union([
  z.string().describe('A fixed value.'),
  z.strictObject({
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional().describe('Environment variable that supplies the value when set.'),
    default: z.string().optional().describe('Value when the environment variable is unset (and no --set).'),
  }).describe('A value from an environment variable, with a default.'),
]).describe('A variable: a string, or { env, default }. --set name=value overrides either.');

export const Recipe = z.strictObject({
  include: z.array(z.string()).default([])
    .describe('Other recipe files merged UNDER this one, in order (paths relative to this file; no ${vars}). Merge: maps merge key by key, lists concatenate (included files first, in include order, then this file), scalars: the later file wins (this file over its includes). Each file is merged once; a cycle is an error.'),
  vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), VarDef).default({})
    .describe('Variables for ${name} substitution in every string value (write $${ for a literal ${). ${guest.NAME} (kernel, busybox, cc, sysroot, ...) refers to the guest build. Precedence: --set, then the env variable, then the value/default.'),
  image: ImageSection.default({ format: 'ext2' }),
  layers: z.array(LayerEntry).default([]).describe('Directories and tar archives copied into the image, in order.'),
  dirs: z.array(DirEntry).default([]).describe('Directories.'),
  files: z.array(FileEntry).default([]).describe('Regular files.'),
  symlinks: z.array(SymlinkEntry).default([]).describe('Symbolic links.'),
  hardlinks: z.array(HardlinkEntry).default([]).describe('Hard links.'),
  devices: z.array(DeviceEntry).default([]).describe('Device nodes and fifos.'),
  deviceTable: hostPath('A device table in Buildroot makedevs format (<name> <type> <mode> <uid> <gid> <major> <minor> <start> <inc> <count>)').optional(),
  users: z.array(UserEntry).default([]).describe('Users: when any are given, /etc/passwd and /etc/shadow are generated from them.'),
  groups: z.array(GroupEntry).default([]).describe('Groups: when any (or any users) are given, /etc/group is generated.'),
  mounts: z.array(MountEntry).default([]).describe('File systems to mount: /etc/fstab is generated from these.'),
  init: InitSection.optional(),
  hostname: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'a host name is letters, digits, "-" and "."').max(64).optional()
    .describe('Written to /etc/hostname.'),
  programs: z.array(ProgramEntry).default([]).describe('Programs compiled for the guest.'),
  boot: BootSection.optional(),
}).describe('An mkrootfs recipe: what goes into a root file system image and how to boot-check it.');

export type Recipe = z.infer<typeof Recipe>;
export type RecipeInput = z.input<typeof Recipe>;
export type LayerEntry = z.infer<typeof LayerEntry>;
export type FileEntry = z.infer<typeof FileEntry>;
export type DirEntry = z.infer<typeof DirEntry>;
export type SymlinkEntry = z.infer<typeof SymlinkEntry>;
export type HardlinkEntry = z.infer<typeof HardlinkEntry>;
export type DeviceEntry = z.infer<typeof DeviceEntry>;
export type UserEntry = z.infer<typeof UserEntry>;
export type GroupEntry = z.infer<typeof GroupEntry>;
export type MountEntry = z.infer<typeof MountEntry>;
export type InitSection = z.infer<typeof InitSection>;
export type ProgramEntry = z.infer<typeof ProgramEntry>;
export type BootStep = z.infer<typeof BootStep>;

/** The JSON Schema of a recipe (input form: fields with defaults are optional). */
export function recipeJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Recipe, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://mkrootfs.dev/recipe.schema.json', title: 'mkrootfs recipe' };
}
