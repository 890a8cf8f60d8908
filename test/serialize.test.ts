import { decodeFrame, encodeMessage } from '../src/runtime/serialize';

describe('encodeMessage', () => {
  it('sends strings as text, or as binary when asked', () => {
    expect(encodeMessage('hi')).toEqual({ data: 'hi', binary: false });
    expect(encodeMessage('hi', true)).toEqual({ data: 'hi', binary: true });
  });

  it('sends Buffer, Uint8Array and ArrayBuffer as binary without copying Buffers', () => {
    const buf = Buffer.from([1, 2, 3]);
    expect(encodeMessage(buf).data).toBe(buf);
    expect(encodeMessage(buf).binary).toBe(true);
    const view = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
    expect(encodeMessage(view)).toEqual({ data: Buffer.from([8, 7]), binary: true });
    expect(encodeMessage(new Uint8Array([5]).buffer)).toEqual({ data: Buffer.from([5]), binary: true });
  });

  it('sends everything else as JSON text', () => {
    expect(encodeMessage({ a: 1 })).toEqual({ data: '{"a":1}', binary: false });
    expect(encodeMessage([1, 'x'])).toEqual({ data: '[1,"x"]', binary: false });
    expect(encodeMessage(42)).toEqual({ data: '42', binary: false });
    expect(encodeMessage(false)).toEqual({ data: 'false', binary: false });
    expect(encodeMessage(null)).toEqual({ data: 'null', binary: false });
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
