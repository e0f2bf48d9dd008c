// Compares a TypeScript interface with an OpenAPI schema, recursively, with the TypeScript compiler's own view
// of the types: which properties exist, which are required, and which string values an enum allows.
import ts from 'typescript';
import type { OpenApiSchema } from '../../../src/api/schema-types.js';

export interface TypeSource {
  checker: ts.TypeChecker;
  /** The declared type of an exported interface or type alias. */
  typeOf(name: string): ts.Type;
}

export function loadTypeSource(file: string): TypeSource {
  const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (source === undefined) throw new Error(`cannot load ${file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const exports = moduleSymbol === undefined ? [] : checker.getExportsOfModule(moduleSymbol);
  return {
    checker,
    typeOf(name) {
      const symbol = exports.find((candidate) => candidate.name === name);
      if (symbol === undefined) throw new Error(`${file} exports no ${name}`);
      return checker.getDeclaredTypeOfSymbol(symbol);
    },
  };
}

/** Differences between the TypeScript type and the schema, each starting with the field path. */
export function diffTypeAndSchema(
  checker: ts.TypeChecker,
  type: ts.Type,
  schema: OpenApiSchema,
  path: string,
  skip: ReadonlySet<string> = new Set(),
): string[] {
  const problems: string[] = [];
  compare(checker, withoutUndefined(checker, type), schema, path, skip, problems);
  return problems;
}

function withoutUndefined(checker: ts.TypeChecker, type: ts.Type): ts.Type {
  return checker.getNonNullableType(type);
}

function describe(checker: ts.TypeChecker, type: ts.Type): string {
  return checker.typeToString(type);
}

function stringLiterals(type: ts.Type): string[] | undefined {
  const members = type.isUnion() ? type.types : [type];
  if (!members.every((member) => member.isStringLiteral())) return undefined;
  return members.map((member) => (member as ts.StringLiteralType).value).sort();
}

function isBoolean(type: ts.Type): boolean {
  const members = type.isUnion() ? type.types : [type];
  return members.every((member) => (member.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) !== 0);
}

function compare(
  checker: ts.TypeChecker,
  type: ts.Type,
  schema: OpenApiSchema,
  path: string,
  skip: ReadonlySet<string>,
  problems: string[],
): void {
  const shown = describe(checker, type);
  switch (schema.type) {
    case 'string': {
      const literals = stringLiterals(type);
      if ((type.flags & ts.TypeFlags.String) === 0 && literals === undefined) {
        problems.push(`${path}: the CRD says string, types.ts says ${shown}`);
      } else if (schema.enum !== undefined || literals !== undefined) {
        const allowed = (schema.enum ?? []).map(String).sort();
        if (JSON.stringify(allowed) !== JSON.stringify(literals ?? [])) {
          problems.push(
            `${path}: the CRD allows [${allowed.join(', ')}], types.ts allows [${(literals ?? ['any string']).join(', ')}]`,
          );
        }
      }
      return;
    }
    case 'integer':
    case 'number':
      if ((type.flags & ts.TypeFlags.Number) === 0)
        problems.push(`${path}: the CRD says ${schema.type}, types.ts says ${shown}`);
      return;
    case 'boolean':
      if (!isBoolean(type)) problems.push(`${path}: the CRD says boolean, types.ts says ${shown}`);
      return;
    case 'array': {
      if (!checker.isArrayType(type)) {
        problems.push(`${path}: the CRD says array, types.ts says ${shown}`);
        return;
      }
      const element = checker.getTypeArguments(type as ts.TypeReference)[0];
      if (element !== undefined && schema.items !== undefined) {
        compare(checker, element, schema.items, `${path}[]`, skip, problems);
      }
      return;
    }
    case 'object':
      compareObject(checker, type, schema, path, skip, problems);
      return;
    default:
      problems.push(`${path}: the CRD gives no type`);
  }
}

function compareObject(
  checker: ts.TypeChecker,
  type: ts.Type,
  schema: OpenApiSchema,
  path: string,
  skip: ReadonlySet<string>,
  problems: string[],
): void {
  if ((type.flags & ts.TypeFlags.Object) === 0 || checker.isArrayType(type)) {
    problems.push(`${path}: the CRD says object, types.ts says ${describe(checker, type)}`);
    return;
  }
  if (typeof schema.additionalProperties === 'object') {
    const valueType = checker.getIndexTypeOfType(type, ts.IndexKind.String);
    if (valueType === undefined) problems.push(`${path}: the CRD says map, types.ts has no string index signature`);
    else compare(checker, valueType, schema.additionalProperties, `${path}[*]`, skip, problems);
  }
  const schemaProperties = schema.properties ?? {};
  const typeProperties = new Map(checker.getPropertiesOfType(type).map((symbol) => [symbol.name, symbol]));
  const required = new Set(schema.required ?? []);
  const at = (name: string): string => (path === '' ? name : `${path}.${name}`);
  for (const name of typeProperties.keys()) {
    if (!skip.has(at(name)) && !(name in schemaProperties)) problems.push(`${at(name)}: in types.ts, not in the CRD`);
  }
  for (const [name, propertySchema] of Object.entries(schemaProperties)) {
    if (skip.has(at(name))) continue;
    const symbol = typeProperties.get(name);
    if (symbol === undefined) {
      problems.push(`${at(name)}: in the CRD, not in types.ts`);
      continue;
    }
    // types.ts describes objects as stored, after defaulting: a field with a schema default is always present.
    const optionalInTypes = (symbol.flags & ts.SymbolFlags.Optional) !== 0;
    const presentInStored = required.has(name) || propertySchema.default !== undefined;
    if (optionalInTypes === presentInStored) {
      problems.push(
        `${at(name)}: ${optionalInTypes ? 'optional' : 'required'} in types.ts, ${presentInStored ? 'required or defaulted' : 'optional'} in the CRD`,
      );
    }
    compare(
      checker,
      withoutUndefined(checker, checker.getTypeOfSymbol(symbol)),
      propertySchema,
      at(name),
      skip,
      problems,
    );
  }
}
