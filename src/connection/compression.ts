import type { PerMessageDeflateOptions } from 'ws';
import type { CompressionOptions } from '../types';

/** wsgate's compression settings in ws's terms; `false` when off. */
export function toPerMessageDeflate(options: CompressionOptions | false | undefined): PerMessageDeflateOptions | false {
  if (!options) return false;
  const { level, memLevel, threshold, serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits } = options;
  const zlib: Record<string, number> = {};
  if (level !== undefined) zlib.level = level;
  if (memLevel !== undefined) zlib.memLevel = memLevel;
  return {
    zlibDeflateOptions: zlib,
    ...(threshold !== undefined && { threshold }),
    ...(serverNoContextTakeover !== undefined && { serverNoContextTakeover }),
    ...(clientNoContextTakeover !== undefined && { clientNoContextTakeover }),
    ...(serverMaxWindowBits !== undefined && { serverMaxWindowBits }),
    ...(clientMaxWindowBits !== undefined && { clientMaxWindowBits }),
  };
}
