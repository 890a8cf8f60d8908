'use strict';
/**
 * The bench scripts' command line: `--flag`, `--name value`, and one positional argument.
 * `valued` lists the options that take a value, so their values are not taken for the positional one.
 */
function parseArgs(argv, valued = []) {
  return {
    flag: (name) => argv.includes(name),
    option: (name, fallback) => {
      const i = argv.indexOf(name);
      return i >= 0 ? argv[i + 1] : fallback;
    },
    positional: argv.find((a, i) => !a.startsWith('--') && !valued.includes(argv[i - 1])),
  };
}

module.exports = { parseArgs };
