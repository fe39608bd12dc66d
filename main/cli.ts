/**
 * Headless verbs: everything the studio does, without a window. Each verb lives in main/cli/<verb>.ts
 * and exports `run(args: string[]): Promise<number>` returning the process exit code.
 *
 * Exit codes shared by all verbs: 0 success, 1 failure while working, 2 bad usage or bad input,
 * 130 cancelled (Ctrl+C).
 */
const verbs: Record<string, { summary: string; load: () => Promise<{ run: (args: string[]) => Promise<number> }> }> = {
  embed: { summary: 'embed <folder> [--model ID] [--provider P]   embed every image with a teacher (resumable)', load: () => import('./cli/embed') },
  eval: { summary: 'eval <folder> [--json FILE] [--png FILE] [--k 1,4,25] [--trials N]   self-training evaluation against the peers', load: () => import('./cli/eval') },
  export: {
    summary: 'export <folder> --format csv|json|coco|yolo|folders|onnx --out PATH [--scope reviewed|with-proposals] [--link] [--val 0.2] [--seed N]   export labels or the student model',
    load: () => import('./cli/export'),
  },
  models: { summary: 'models list | pull <id> [--mirror URL] | import <file.onnx> | remove <id>   the teachers on this machine: catalog, verified downloads', load: () => import('./cli/models') },
  serve: { summary: 'serve <folder> [--port N] [--host H] [--reviewer NAME ...] [--reviewers FILE]   serve the studio to browsers (one URL per named reviewer)', load: () => import('./cli/serve') },
}

async function main(): Promise<number> {
  const [verb, ...args] = process.argv.slice(2)
  const entry = verb ? verbs[verb] : undefined
  if (!entry) {
    console.error(`usage: npm run cli -- <verb> [options]\n\nverbs:\n${Object.values(verbs).map((v) => '  ' + v.summary).join('\n')}`)
    return 2
  }
  return (await entry.load()).run(args)
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err))
    process.exitCode = 1
  },
)
