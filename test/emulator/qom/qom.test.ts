import { describe, expect, it } from 'vitest';
import { createFromSpec, parseDeviceArg, parseDeviceSpec } from '../../../emulator/qom/device-spec.ts';
import { didYouMean, QomError } from '../../../emulator/qom/errors.ts';
import { parseSize } from '../../../emulator/qom/property.ts';
import { printTree } from '../../../emulator/qom/qtree.ts';
import { objectCast, objectDynamicCast } from '../../../emulator/qom/object.ts';
import { deviceClass, deviceClassSetParentRealize, DeviceClass, realizeTree, TYPE_DEVICE, type RealizeContext } from '../../../emulator/qom/qdev.ts';
import { TypeRegistry, type TypeInfo } from '../../../emulator/qom/registry.ts';

function registry(): TypeRegistry {
  const r = new TypeRegistry();
  const log: string[] = [];
  r.register({ name: 'device', abstract: true, description: 'base', properties: [{ name: 'realized-note', type: 'string', default: 'x', description: 'a base prop' }] });
  r.register({
    name: 'widget',
    parent: 'device',
    userCreatable: true,
    description: 'a test widget',
    properties: [
      { name: 'count', type: 'uint32', default: 3, description: 'how many' },
      { name: 'big', type: 'uint64', description: 'a big number' },
      { name: 'enabled', type: 'bool', default: false, description: 'on or off' },
      { name: 'size', type: 'size', default: 16 << 20, description: 'a size' },
      { name: 'label', type: 'string', description: 'text' },
      { name: 'target', type: 'link', linkType: 'gadget', description: 'a gadget' },
      { name: 'addr', type: 'uint32', readOnly: true, description: 'board-set' },
    ],
    classInit: (k) => k.addProperty({ name: 'from-class-init', type: 'bool', default: true, description: 'added in class_init' }),
    instanceInit: (o) => { log.push(`init ${o.typeName}`); o.addProperty({ name: 'dyn', type: 'uint32', description: 'dynamic' }, 9); },
  });
  r.register({ name: 'gadget', parent: 'device', userCreatable: false, description: 'a gadget' });
  r.register({ name: 'not-a-device', description: 'a plain object' });
  return r;
}

describe('QOM registry and properties', () => {
  it('builds classes with inherited, class_init and dynamic properties', () => {
    const r = registry();
    const w = r.create('widget', 'w0');
    expect(w.klass.isA('device')).toBe(true);
    expect(w.propertyList().map((p) => p.name)).toEqual(['realized-note', 'count', 'big', 'enabled', 'size', 'label', 'target', 'addr', 'from-class-init', 'dyn']);
    expect(w.get('count')).toBe(3);
    expect(w.get('dyn')).toBe(9);
    expect(w.get('big')).toBeUndefined();
  });

  it('refuses abstract types and suggests names for unknown types', () => {
    const r = registry();
    expect(() => r.create('device')).toThrow(expect.objectContaining({ code: 'abstract-type' }));
    try {
      r.getClass('widgt');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(QomError);
      expect((e as QomError).code).toBe('unknown-type');
      expect((e as QomError).message).toContain("did you mean 'widget'");
    }
  });

  it('parses typed values from text and rejects bad ones with a hint', () => {
    const r = registry();
    const w = createFromSpec(r, parseDeviceSpec('widget,count=0x10,big=9007199254740991,enabled=on,size=64K,label=a,,b'));
    expect(w.get('count')).toBe(16);
    expect(w.get('big')).toBe(Number.MAX_SAFE_INTEGER);
    expect(w.get('enabled')).toBe(true);
    expect(w.get('size')).toBe(65536);
    expect(w.get('label')).toBe('a,b');
    for (const [spec, code] of [
      ['widget,count=-1', 'bad-property-value'],
      ['widget,count=4294967296', 'bad-property-value'],
      ['widget,enabled=maybe', 'bad-property-value'],
      ['widget,size=12Q', 'bad-property-value'],
      ['widget,cuont=1', 'unknown-property'],
      ['widget,addr=1', 'read-only-property'],
      ['widget,count', 'bad-device-spec'],
      ['widget,count=1,count=2', 'bad-device-spec'],
      ['gadget', 'not-user-creatable'],
      ['widget,count=1,', 'bad-device-spec'],
      ['widget,,', 'unknown-type'],
    ] as const) {
      expect(() => createFromSpec(r, parseDeviceSpec(spec)), spec).toThrow(expect.objectContaining({ code }));
    }
    try {
      createFromSpec(r, parseDeviceSpec('widget,cuont=1'));
    } catch (e) {
      expect((e as QomError).message).toBe("--device 'widget,cuont=1': widget has no property 'cuont' (did you mean 'count'?)");
      expect((e as QomError).hint).toContain('--device widget,help');
    }
  });

  it('parses QEMU --device syntax: help, TYPE,help, driver=, id=', () => {
    expect(parseDeviceArg('help')).toEqual({ kind: 'help' });
    expect(parseDeviceArg('?')).toEqual({ kind: 'help' });
    expect(parseDeviceArg('virtio-blk-device,help')).toEqual({ kind: 'type-help', type: 'virtio-blk-device' });
    const a = parseDeviceArg('drive=hd0,driver=virtio-blk-device,id=disk1');
    expect(a).toEqual({ kind: 'device', spec: { type: 'virtio-blk-device', id: 'disk1', props: [['drive', 'hd0']], source: 'drive=hd0,driver=virtio-blk-device,id=disk1' } });
    expect(() => parseDeviceArg('drive=hd0')).toThrow(expect.objectContaining({ code: 'bad-device-spec' }));
  });

  it('accepts the alias virtio-blk for virtio-blk-device (as QEMU\'s qdev alias table does)', () => {
    const a = parseDeviceArg('virtio-blk,drive=data.img');
    expect(a).toMatchObject({ kind: 'device', spec: { type: 'virtio-blk-device', props: [['drive', 'data.img']] } });
    expect(parseDeviceArg('virtio-blk,help')).toEqual({ kind: 'type-help', type: 'virtio-blk-device' });
  });

  it('links check the target type; the composition tree has paths', () => {
    const r = registry();
    const root = r.create('gadget');
    root.name = 'machine';
    const w = root.addChild('w', r.create('widget', 'w0'));
    const g = r.create('gadget', 'g0');
    w.setLink('target', g);
    expect(w.getLink('target')).toBe(g);
    expect(w.get('target')).toBe('g0');
    expect(() => w.setLink('target', r.create('widget', 'w1'))).toThrow(/needs a gadget/);
    expect(w.path()).toBe('/machine/w');
    expect(() => w.set('count', 'x')).toThrow(/uint32/);
  });

  it('describes types for --device TYPE,help and lists them for --device help', () => {
    const r = registry();
    const text = r.describeType('widget');
    expect(text).toContain('widget (device): a test widget');
    expect(text).toMatch(/count=<uint32> +- how many \(default: 3 \(0x3\)\)/);
    expect(text).toMatch(/size=<size> +- a size \(default: 16777216 \(16M\)\)/);
    expect(text).toMatch(/target=<link<gadget>> +- a gadget/);
    expect(text).toMatch(/addr=<uint32> +- board-set \(set by the board\)/);
    const list = r.listTypes();
    expect(list).toContain('name "widget"');
    expect(list.indexOf('widget')).toBeLessThan(list.indexOf('name "gadget"'));
    expect(list).not.toContain('name "device"');
    expect(list).not.toContain('not-a-device');
  });

  it('prints every property in the tree', () => {
    const r = registry();
    const root = r.create('gadget');
    root.name = 'machine';
    root.addChild('w', r.create('widget'));
    const text = printTree(root);
    expect(text).toContain('/machine (gadget)');
    expect(text).toContain('  /machine/w (widget)');
    expect(text).toContain('    count = 3 (0x3)');
    expect(text).toContain('    enabled = off');
    expect(text).toContain('    label = <unset>');
    expect(text).toContain('    target = <null>');
  });

  it('helpers: sizes and suggestions', () => {
    expect(parseSize('16M')).toBe(16 << 20);
    expect(parseSize('1G')).toBe(2 ** 30);
    expect(parseSize('512')).toBe(512);
    expect(parseSize('1.5M')).toBeUndefined();
    expect(didYouMean('serail', ['serial', 'drive'])).toBe('serial');
    expect(didYouMean('zzzzzz', ['serial', 'drive'])).toBeUndefined();
  });
});

describe('qdev: device classes, realize and casts', () => {
  /** base (realize logs) → led (overrides realize, keeps base's) → rgb-led (inherits led's). */
  function devices(log: string[]): TypeRegistry {
    const base: TypeInfo = {
      name: 'base-dev',
      parent: TYPE_DEVICE,
      abstract: true,
      description: 'test base',
      classInit: (k) => {
        deviceClass(k).realize = (dev) => log.push(`base realize ${dev.name} (instance ${String(dev.instance)})`);
      },
    };
    const led: TypeInfo = {
      name: 'led',
      parent: base,
      description: 'an LED',
      properties: [{ name: 'colour', type: 'string', default: 'red', description: 'colour' }],
      classInit: (k) =>
        deviceClassSetParentRealize(k, (dev, ctx, parentRealize) => {
          log.push(`led realize ${dev.name}`);
          dev.instance = `lamp(${dev.getString('colour')})`;
          parentRealize(dev, ctx);
        }),
      instanceInit: (obj) => log.push(`led instance_init (realized ${obj.realized})`),
    };
    const rgb: TypeInfo = { name: 'rgb-led', parent: led, description: 'an RGB LED' };
    const r = new TypeRegistry();
    r.register(rgb); // registers its parents, which it names by TypeInfo
    return r;
  }

  it("a subclass's class_init overrides realize and calls the parent's; a sub-subclass inherits that", () => {
    const log: string[] = [];
    const r = devices(log);
    expect(r.getClass('rgb-led')).toBeInstanceOf(DeviceClass);
    const root = r.create('rgb-led');
    root.name = 'board';
    const child = root.addChild('a', r.create('led'));
    child.set('colour', 'green');
    expect(log).toEqual(['led instance_init (realized false)', 'led instance_init (realized false)']);
    realizeTree(root, {} as RealizeContext);
    expect(log.slice(2)).toEqual(['led realize board', 'base realize board (instance lamp(red))', 'led realize a', 'base realize a (instance lamp(green))']);
    expect(root.realized && child.realized).toBe(true);
  });

  it('checked casts fail with a clear error; dynamic casts return undefined', () => {
    const r = devices([]);
    const led = r.create('led');
    led.name = 'led0';
    expect(objectCast(led, 'base-dev')).toBe(led);
    expect(objectDynamicCast(led, 'rgb-led')).toBeUndefined();
    expect(() => objectCast(led, 'rgb-led', 'wiring')).toThrow(expect.objectContaining({
      code: 'bad-cast',
      message: 'wiring: cannot cast to rgb-led: /led0 is a led (led -> base-dev -> device)',
    }));
    const plain = new TypeRegistry();
    plain.register({ name: 'thing', description: 'not a device' });
    expect(() => deviceClass(plain.getClass('thing'))).toThrow(expect.objectContaining({ code: 'bad-cast' }));
  });
});
