import { decodeFrame, encodeMessage } from '../../src/connection/serialize';

describe('encodeMessage', () => {
  it('keeps strings as strings (text frames)', () => {
    expect(encodeMessage('hi')).toBe('hi');
  });

  it('sends Buffer, Uint8Array and ArrayBuffer as binary without copying Buffers', () => {
    const buf = Buffer.from([1, 2, 3]);
    expect(encodeMessage(buf)).toBe(buf);
    const view = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
    expect(encodeMessage(view)).toEqual(Buffer.from([8, 7]));
    expect(Buffer.isBuffer(encodeMessage(view))).toBe(true);
    expect(encodeMessage(new Uint8Array([5]).buffer)).toEqual(Buffer.from([5]));
  });

  it('sends everything else as JSON text', () => {
    expect(encodeMessage({ a: 1 })).toBe('{"a":1}');
    expect(encodeMessage([1, 'x'])).toBe('[1,"x"]');
    expect(encodeMessage(42)).toBe('42');
    expect(encodeMessage(false)).toBe('false');
    expect(encodeMessage(null)).toBe('null');
  });

  it('refuses values JSON cannot encode, with a clear error', () => {
    expect(() => encodeMessage((() => 1) as unknown as object)).toThrow(/not JSON-serializable/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeMessage(cyclic)).toThrow(TypeError);
  });
});

describe('decodeFrame', () => {
  it('turns text frames into strings and keeps binary frames as Buffers', () => {
    expect(decodeFrame(Buffer.from('héllo'), false)).toBe('héllo');
    const b = Buffer.from([0, 255]);
    expect(decodeFrame(b, true)).toBe(b);
    expect(decodeFrame([Buffer.from('a'), Buffer.from('b')], false)).toBe('ab');
  });
});
