/**
 * recipes/README.md, generated from the recipe schema (its JSON Schema form)
 * plus the prose below. Regenerate with `mkrootfs schema --markdown >
 * recipes/README.md`; a test checks the committed file is current.
 */
import { recipeJsonSchema } from './schema.ts';

type Json = Record<string, unknown>;

const INTRO = `# Recipes

A recipe is a YAML file that describes a root file system image and how to
boot-check it. Build one with \`mkrootfs recipe.yml\` (or \`mkrootfs build recipe.yml\`),
boot it with \`mkrootfs boot recipe.yml\`.

<!-- Generated from src/recipe/schema.ts by \`mkrootfs schema --markdown\`. Do not edit by hand. -->

\`\`\`yaml
# yaml-language-server: $schema=../schema/recipe.schema.json   (shipped in the package; also printed by mkrootfs schema)
vars:
  greeting: { env: GREETING, default: "hello" }
image:
  size: "+4M"            # content plus 4 MiB free
layers:
  - source: \${guest.busybox}   # the guest's busybox _install tree
files:
  - path: /etc/motd
    content: "\${greeting}\\n"
    mode: "0644"          # modes are quoted strings
devices:
  - { path: /dev/console, type: char, major: 5, minor: 1, mode: "0600" }
mounts:
  - { device: proc, path: /proc, type: proc }
init:
  rcS: |
    #!/bin/sh
    mount -a
\`\`\`

## Rules

- **Paths.** Host paths (layer and file sources, program sources, \`deviceTable\`,
  \`boot.kernel\`, \`include\`) are relative to the directory of the recipe file that
  wrote them — except a value that starts with a variable given by \`--set\` or the
  environment (\`--set busybox=./_install\`), which is relative to the current
  directory, like any command-line path. \`image.output\` is relative to the current
  directory. Paths inside the image are absolute.
- **Modes are strings.** YAML reads \`mode: 0755\` as the decimal number 755; write
  \`mode: "0755"\`. A bare number is rejected with that fix.
- **Variables.** \`\${name}\` in any string value is replaced by the variable's value;
  \`$\${\` writes a literal \`\${\`. A value comes from \`--set name=value\`, else from the
  environment variable the recipe names (\`vars: { v: { env: VERSION, default: "1" } }\`
  — no other environment variable is ever read), else the value or default.
  Variables may use other variables. \`\${guest.KEY}\` (kernel, busybox, cc, sysroot...)
  asks the guest builder, which builds the guest (cached) only when a recipe uses it.
  \`--set\` of an undeclared variable is an error.
- **Includes.** \`include: [base.yml]\` merges other recipes UNDER this one, in order:
  maps merge key by key; lists concatenate (included files first, in include order,
  then this file); scalars: the later file wins, so the including file overrides its
  includes. Each file is merged once (a file reached twice is skipped the second
  time); an include cycle is an error. Variables are substituted after merging.
- **Order of application.** Layers (in order), then the generated \`/etc\` files
  (passwd, group, shadow, fstab, inittab, rcS, hostname), then \`dirs\`, mount points
  and home directories, then \`files\`, \`programs\`, \`symlinks\`, \`devices\` and the
  device table, then \`hardlinks\`. A later step replaces an earlier entry at the same
  path; directories merge. Two entries for one path within the sections is an error.
- **Times.** Every time in the image is clamped to \`SOURCE_DATE_EPOCH\` (0 when unset);
  entries the recipe creates get exactly that time. Same inputs, same image bytes.
- **Errors.** Every problem is reported at once as \`file:line:col\` with the lines
  around it and a hint (unknown keys get a did-you-mean); exit code 2.
- **Users.** When \`users\` are given, \`/etc/passwd\`, \`/etc/shadow\` (0600, or 0640
  group \`shadow\` if the recipe defines that group; passwords locked with \`!\`
  unless given) and \`/etc/group\` are generated.
- **Boot check and power-off.** \`recipes/busybox.yml\`'s rcS prints
  \`mkrootfs: boot OK\` and then powers off when the kernel command line contains
  \`mkrootfs.poweroff\`; its \`boot.append\` includes that flag, so a boot check ends
  cleanly on its own, while booting with another command line leaves a shell.

## Device tables

\`deviceTable: devices.txt\` reads a Buildroot makedevs table, one row per line:
\`<name> <type> <mode> <uid> <gid> <major> <minor> <start> <inc> <count>\`, \`-\` for
unused fields, \`#\` comments. Types: \`d\` directory, \`c\`/\`b\` char/block device,
\`p\` fifo, \`f\` set mode/owner of an existing file, \`r\` set mode/owner recursively.
With a count, the row makes \`count\` nodes named \`<name><start+i>\` with minor
\`<minor> + i*<inc>\`, e.g. \`/dev/ttyS c 666 0 0 4 64 0 1 4\` makes ttyS0..ttyS3
(minors 64..67).

## Field reference
`;

export function recipeReadme(): string {
  const schema = recipeJsonSchema();
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const out: string[] = [INTRO];
  for (const [key, prop] of Object.entries(props)) section(out, key, prop, 3);
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

function section(out: string[], path: string, prop: Json, level: number): void {
  const obj = objectOf(prop);
  out.push(`${'#'.repeat(level)} \`${path}\` — ${typeName(prop)}`, '');
  const desc = description(prop) ?? (obj ? description(obj) : undefined);
  if (desc) out.push(desc, '');
  if (!obj) {
    const d = defaultOf(prop);
    if (d !== undefined) out.push(`Default: ${d}`, '');
    return;
  }
  const fields = (obj.properties ?? {}) as Record<string, Json>;
  const required = new Set((obj.required ?? []) as string[]);
  out.push('| key | type | default | description |', '|---|---|---|---|');
  const nested: [string, Json][] = [];
  for (const [k, f] of Object.entries(fields)) {
    out.push(`| \`${k}\`${required.has(k) ? ' (required)' : ''} | ${typeName(f)} | ${defaultOf(f) ?? ''} | ${cell(description(f) ?? '')} |`);
    if (objectOf(f)) nested.push([k, f]);
  }
  out.push('');
  const isList = prop.type === 'array';
  for (const [k, f] of nested) section(out, `${path}${isList ? '[]' : ''}.${k}`, f, Math.min(level + 1, 6));
}

/** The object schema a property holds (directly or as list items), if any. */
function objectOf(prop: Json): Json | undefined {
  if (prop.type === 'object' && prop.properties) return prop;
  if (prop.type === 'array' && (prop.items as Json | undefined)?.type === 'object') return prop.items as Json;
  return undefined;
}

function description(p: Json): string | undefined {
  return typeof p.description === 'string' ? p.description : undefined;
}

function defaultOf(p: Json): string | undefined {
  if (!('default' in p)) return undefined;
  const d = p.default;
  if (Array.isArray(d) && d.length === 0) return undefined;
  if (d && typeof d === 'object' && Object.keys(d).length === 0) return undefined;
  return `\`${JSON.stringify(d)}\``;
}

function typeName(p: Json): string {
  if ('const' in p) return `\`${JSON.stringify(p.const)}\``;
  if (Array.isArray(p.enum)) return (p.enum as unknown[]).map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (Array.isArray(p.anyOf)) return (p.anyOf as Json[]).map(typeName).join(' \\| ');
  switch (p.type) {
    case 'array': return `list of ${typeName((p.items ?? {}) as Json)}`;
    case 'object': return p.additionalProperties && typeof p.additionalProperties === 'object' ? `map of name → ${typeName(p.additionalProperties as Json)}` : 'map';
    case 'integer': return 'integer';
    case 'string': return 'string';
    case 'number': return 'number';
    case 'boolean': return 'boolean';
    default: return 'value';
  }
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
