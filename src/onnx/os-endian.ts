import { endianness } from 'node:os';

/** Byte order of this machine, read once. */
export const os = { littleEndian: endianness() === 'LE' } as const;
