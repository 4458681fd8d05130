/**
 * Checks on a model file before onnxruntime sees it: present, not an HTML page or a Git LFS pointer saved under
 * an `.onnx` name, and starting like an ONNX protobuf (field 1, `ir_version`, a varint: byte 0x08).
 */
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { ModelError } from '../core/errors';

/** Throws a ModelError naming `file` when it is missing or clearly not an ONNX model. */
export function checkOnnxFile(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new ModelError(`model ${file}: file not found`);
  }
  if (size < 16) {
    throw new ModelError(`model ${file}: only ${size} bytes, not an ONNX model`);
  }
  const head = Buffer.alloc(64);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 64, 0);
  } finally {
    closeSync(fd);
  }
  const text = head.toString('latin1');
  if (text.startsWith('version https://git-lfs')) {
    throw new ModelError(`model ${file}: is a Git LFS pointer, not the model (run git lfs pull or fetch it again)`);
  }
  if (/^\s*</.test(text)) {
    throw new ModelError(`model ${file}: is an HTML/XML page, not an ONNX model (a failed download?)`);
  }
  if (head[0] !== 0x08) {
    throw new ModelError(`model ${file}: does not start like an ONNX protobuf (first byte 0x${head[0].toString(16)})`);
  }
}
