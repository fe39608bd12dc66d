/**
 * Headless verbs: everything the studio does, without a window. Each verb lives in main/cli/<verb>.ts
 * and exports `run(args: string[]): Promise<number>` returning the process exit code.
 *
 * Exit codes shared by all verbs: 0 success, 1 failure while working, 2 bad usage or bad input,
 * 75 the project is open in the studio or another process (try again, or --wait SECONDS),
 * 130 cancelled (Ctrl+C). The project verbs (status ... label-issues) share main/cli/session.ts:
 * `--json` prints one JSON document on stdout, progress goes to stderr.
 */
const verbs: Record<string, { summary: string; load: () => Promise<{ run: (args: string[]) => Promise<number> }> }> = {
  status: { summary: 'status <folder>   images, classes and counts per state, teacher, last round, audited precision', load: () => import('./cli/status') },
  suggest: { summary: 'suggest <folder> [--count N] [--out CSV]   images worth labelling next (path,decision rows to fill in)', load: () => import('./cli/suggest') },
  review: { summary: 'review <folder> --in CSV [--create-classes]   apply path,decision rows: accept, reject or a class name (a human label)', load: () => import('./cli/review') },
  round: {
    summary: 'round <folder> [--strategy S] [--param P] [--rounds N] [--accept-above P]   self-training rounds (embeds first); accuracy, calibration, proposals',
    load: () => import('./cli/round'),
  },
  accept: { summary: 'accept <folder> --above P [--class C]   accept the proposals with confidence >= P', load: () => import('./cli/accept') },
  audit: { summary: 'audit <folder> --draw N --out CSV | --in CSV   spot-check: draw N proposals per class; verdicts in, precision per class out', load: () => import('./cli/audit') },
  'label-issues': { summary: 'label-issues <folder> [--out CSV]   human labels the k-fold head most disagrees with, with the class it suggests', load: () => import('./cli/label-issues') },
  embed: { summary: 'embed <folder> [--model ID] [--provider P] [--shard I/N --out DIR | --merge DIR...]   embed every image with a teacher (resumable), or one shard of it', load: () => import('./cli/embed') },
  eval: { summary: 'eval <folder> [--json FILE] [--png FILE] [--k 1,4,25] [--trials N]   self-training evaluation against the peers', load: () => import('./cli/eval') },
  export: {
    summary: 'export <folder> --format csv|json|coco|yolo|folders|onnx --out PATH [--scope reviewed|with-proposals] [--link] [--val 0.2] [--seed N] [--wait S]   export labels or the student model',
    load: () => import('./cli/export'),
  },
  import: {
    summary: 'import <folder> --format csv|json|coco|yolo|folders|labelstudio --in PATH [--dry-run] [--on-conflict keep|replace] [--as human|proposal]   import labels (one undoable action)',
    load: () => import('./cli/import'),
  },
  models: { summary: 'models list | pull <id> [--mirror URL] | import <file.onnx> | remove <id>   the teachers on this machine: catalog, verified downloads', load: () => import('./cli/models') },
  serve: {
    summary: 'serve [<folder>] [--root DIR] [--port N] [--host H] [--public-host NAME] [--tls-cert F --tls-key F] [--reviewer NAME ...] [--reviewers FILE]   serve the studio to browsers (one URL per named reviewer)',
    load: () => import('./cli/serve'),
  },
}

async function main(): Promise<number> {
  const [verb, ...args] = process.argv.slice(2)
  const entry = verb ? verbs[verb] : undefined
  if (!entry) {
    console.error(
      `usage: npm run cli -- <verb> [options]\n\nverbs:\n${Object.values(verbs).map((v) => '  ' + v.summary).join('\n')}\n\n` +
        'The project verbs (status to label-issues) also take --json (one JSON document on stdout) and --wait SECONDS (for a project open elsewhere).\n' +
        'Exit codes: 0 done, 1 failure while working, 2 bad usage or bad input, 75 project open elsewhere, 130 cancelled.',
    )
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
