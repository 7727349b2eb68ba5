/**
 * Import rules for src/ checked by `npm run cycles` (dependency-cruiser). A cycle makes module
 * start-up order matter (an import can be undefined while its own importer is still loading) and
 * ties modules that should be separable; the composition root (services.ts, app.ts) is the only
 * place meant to know everything.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Circular run-time imports between source files: break the cycle by moving the shared piece to a lower module. ' +
        'Every edge of the cycle counts, dynamic import() included; `import type` edges are erased at compile time.',
      from: { path: '^src/' },
      to: { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-types',
      severity: 'warn',
      comment: 'A cycle closed by an `import type` edge has no run-time effect, but still couples the modules.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-test-or-tools',
      severity: 'error',
      comment: 'Production code must not import tests, benchmarks, evaluation or scripts.',
      from: { path: '^src/' },
      to: { path: '^(test|bench|eval|scripts)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing fails at run time.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|coverage|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
