// Preloaded into a measured Node process (node --import <this file> ...).
// When MAILOPS_BENCH_RSS_FILE is set, the process writes its peak resident
// set size to that file as it exits:
//
//   {"maxRssKB": 123456, "userMs": ..., "systemMs": ..., "pid": ...}
//
// The variable is removed from the environment straight away so that child
// processes of the measured one do not overwrite the figure.

import fs from 'node:fs';

const file = process.env.MAILOPS_BENCH_RSS_FILE;
if (file) {
  delete process.env.MAILOPS_BENCH_RSS_FILE;
  process.on('exit', () => {
    try {
      const u = process.resourceUsage();
      fs.writeFileSync(file, JSON.stringify({
        maxRssKB: u.maxRSS,
        userMs: Math.round(u.userCPUTime / 1000),
        systemMs: Math.round(u.systemCPUTime / 1000),
        pid: process.pid,
      }) + '\n');
    } catch {
      // the measurement is best effort; never change the exit of the program
    }
  });
}
