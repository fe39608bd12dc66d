/**
 * `models import <file.onnx>`: a placeholder until the import of any ONNX file lands (issue 11,
 * item 4, written elsewhere); that change replaces this file. Exit code 2: not available.
 */
export async function importVerb(args: string[]): Promise<number> {
  void args
  console.error('models import: not available yet')
  return 2
}
