import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'migrations/**', '.data/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Platform SDKs stay at the edge: only the adapters and the platform renderers may import them.
    files: ['src/**/*.ts', 'commands/**/*.ts', 'workflows/**/*.ts', 'blocks/**/*.ts'],
    ignores: ['src/chat/slack/**', 'src/chat/mattermost/**', 'blocks/slack*', 'blocks/mattermost*', 'src/main.ts', 'src/chat/platforms.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@slack/*', '@mattermost/*'], message: 'Platform SDKs belong in src/chat/<platform>/ and blocks/<platform>*.' }] }],
    },
  },
);
