'use strict';
/**
 * Other work on the machine (a test suite in another checkout, a build) skews a benchmark far
 * more than anything measured here. So each measurement starts on a quiet machine (bounded wait)
 * and is charged with the "foreign" CPU spent during it: machine-wide user+system time minus what
 * the server, the client and the runner spent (a process's system time includes the softirq work
 * of its loopback traffic, so the machine's busy time counts irq and softirq too).
 * Linux only; elsewhere every function reports nothing.
 */
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');

const HZ = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
const available = fs.existsSync('/proc/stat');

/** Machine-wide CPU seconds: busy (user + nice + system + irq + softirq) and total. */
function machineCpu() {
  if (!available) return undefined;
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq] = v;
  return { busy: (user + nice + system + irq + softirq) / HZ, total: v.slice(0, 8).reduce((a, b) => a + b, 0) / HZ };
}

/** CPU seconds (user + system) a live process has used, or undefined. */
function processCpu(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / HZ; // utime, stime (fields 14 and 15)
  } catch {
    return undefined;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the machine's busy share over `sampleMs` is under `threshold` (fraction of all
 * CPUs), at most `maxMs`. Returns the last busy share seen.
 */
async function waitQuiet({ threshold = 0.08, sampleMs = 300, maxMs = 15000 } = {}) {
  if (!available) return undefined;
  const deadline = Date.now() + maxMs;
  let share;
  for (;;) {
    const a = machineCpu();
    const self0 = process.cpuUsage();
    await sleep(sampleMs);
    const b = machineCpu();
    const self = (process.cpuUsage(self0).user + process.cpuUsage(self0).system) / 1e6;
    share = b.total > a.total ? Math.max(0, b.busy - a.busy - self) / (b.total - a.total) : 0;
    if (share < threshold || Date.now() > deadline) return share;
  }
}

/** Starts accounting for one measurement; `finish(clientCpuSeconds)` returns foreign CPU in cores. */
function account(serverPid) {
  if (!available) return { finish: () => undefined };
  const m0 = machineCpu();
  const s0 = processCpu(serverPid) ?? 0;
  const self0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  return {
    finish(clientCpu) {
      const m1 = machineCpu();
      const s1 = processCpu(serverPid) ?? s0;
      const selfUsage = process.cpuUsage(self0);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const ours = s1 - s0 + (clientCpu ?? 0) + (selfUsage.user + selfUsage.system) / 1e6;
      const foreign = Math.max(0, m1.busy - m0.busy - ours);
      if (process.env.BENCH_DEBUG_NOISE) process.stderr.write(`noise: machine ${(m1.busy - m0.busy).toFixed(2)} s, ours ${ours.toFixed(2)} s (server ${(s1 - s0).toFixed(2)}, client ${clientCpu}), wall ${wall.toFixed(2)}\n`);
      return { foreignCores: foreign / wall, wall };
    },
  };
}

module.exports = { waitQuiet, account, machineCpu, processCpu };
