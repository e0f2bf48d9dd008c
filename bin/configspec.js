#!/usr/bin/env node
// The single `configspec` program (operator, agent commands and CLI). Needs `npm run build` first.
await import('../dist/src/cli/main.js');
