/**
 * Integration suite (issue 5): a real browser and independent WebSocket stacks against wsgate.
 * Needs Debian's chromium, python3-websockets and python3-tornado (see the README).
 * Run: npx jest -c test/integration/jest.config.js
 */
module.exports = {
  rootDir: '../..',
  preset: 'ts-jest',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/integration/setup.ts'],
  // Closes what test/helpers' startApp/connect/RawPeer registered (the fuzz soak uses them).
  setupFilesAfterEnv: ['<rootDir>/test/after-each.ts'],
  testTimeout: 60000,
  // Chromium and the Python peers are real processes; on a 2-core machine one test file at a time
  // keeps timings far from the limits.
  maxWorkers: 1,
};
