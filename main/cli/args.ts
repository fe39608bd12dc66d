/** Splits `args` into positionals and `--name value` / `--flag` options; `--name=value` works too. */
export function parseArgs(args: string[], valued: readonly string[]): { positional: string[]; options: Map<string, string | true> } {
  const positional: string[] = []
  const options = new Map<string, string | true>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (!arg.startsWith('--')) {
      positional.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2)
    if (eq > 0) options.set(name, arg.slice(eq + 1))
    else if (valued.includes(name)) {
      const value = args[++i]
      if (value === undefined) throw new UsageError(`--${name} needs a value`)
      options.set(name, value)
    } else options.set(name, true)
  }
  return { positional, options }
}

/** Bad usage: the verb prints the message and exits with 2. */
export class UsageError extends Error {}
