import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for every operation in src/**/*.graphql, checked against the gateway's
// schema. `documentMode: 'string'` keeps the GraphQL runtime (graphql-js) out of the bundle.
const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: {
          Decimal: 'string',
          BigInt: 'string',
          Date: 'string',
          DateTime: 'string',
        },
      },
    },
  },
};

export default config;
