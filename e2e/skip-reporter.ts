/** Prints why each skipped test was skipped (e.g. no Electron binary), which the list reporter does not. */
import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter'

export default class SkipReasons implements Reporter {
  private readonly lines: string[] = []

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status !== 'skipped') return
    const reason = test.annotations.find((a) => a.type === 'skip')?.description ?? 'no reason given'
    this.lines.push(`  skipped: ${test.titlePath().slice(1).join(' › ')}: ${reason}`)
  }

  onEnd(): void {
    if (this.lines.length) console.log(`\nSkipped tests and why:\n${this.lines.join('\n')}`)
  }

  printsToStdio(): boolean {
    return true
  }
}
