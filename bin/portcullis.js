#!/usr/bin/env node
// The operator CLI entry point: runs the compiled CLI (npm install builds it via "prepare").
import '../dist/src/admin/cli/main.js';
