/**
 * The same specs run in two projects: `web` drives Debian's Chromium against the web host (always),
 * `electron` drives the desktop app through Playwright's Electron launcher (skipped, with the reason,
 * where the Electron binary is not installed, as on the CI machines).
 */
import { defineConfig } from '@playwright/test'

export default defineConfig({
  testDir: './specs',
  outputDir: './artifacts/results',
  globalSetup: './global-setup.ts',
  timeout: 90_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['./skip-reporter.ts'], ['html', { outputFolder: './artifacts/report', open: 'never' }]],
  use: { trace: 'retain-on-failure', screenshot: 'only-on-failure', viewport: { width: 1280, height: 820 } },
  projects: [{ name: 'web' }, { name: 'electron' }],
})
