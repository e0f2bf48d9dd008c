import { CONFIGSPEC_KINDS, loadCrds } from '../../../src/api/crds.js';
import { CROSS_FIELD_RULES } from '../../../src/api/rules.js';
import { validateObject } from '../../../src/api/validate.js';
import { sample } from '../../support/invalid-manifests.js';
import { celSites } from './cel-sites.js';

interface RuleSite {
  kind: string;
  at: string;
  message: string;
  fieldPath: string;
  transition: boolean;
}

const key = (site: RuleSite): string =>
  `${site.kind} ${site.at} ${site.fieldPath} ${site.transition ? 'transition ' : ''}"${site.message}"`;

describe('the CRDs’ CEL rules and their TypeScript twins (src/api/rules.ts)', () => {
  const crds = loadCrds();
  const inCrds = CONFIGSPEC_KINDS.flatMap((kind) => celSites(kind, crds.get(kind)!.schema)).map(
    ({ kind, at, rule }) => ({
      kind,
      at,
      message: rule.message ?? '',
      fieldPath: rule.fieldPath ?? '',
      transition: rule.rule.includes('oldSelf'),
    }),
  );
  const inCode = CROSS_FIELD_RULES.map((rule) => ({
    kind: rule.kind,
    at: rule.at,
    message: rule.message,
    fieldPath: rule.fieldPath ?? '',
    transition: rule.transition === true,
  }));

  it('are the same list: one TypeScript rule per CEL rule, same place, message and fieldPath', () => {
    expect(inCode.map(key).sort()).toEqual(inCrds.map(key).sort());
  });

  it('have messages unique within their place, so a message identifies its rule', () => {
    const keys = inCrds.map(key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('transition rules', () => {
  it('reject a changed DraftProfile spec and accept an unchanged one', () => {
    const previous = sample('draftprofile.yaml');
    const changed = sample('draftprofile.yaml');
    changed.spec.quantization = 'Q8_0';
    expect(validateObject(changed, { previous })).toEqual([
      expect.objectContaining({ path: 'spec', message: 'is immutable; create a new profile for another combination' }),
    ]);
    expect(validateObject(sample('draftprofile.yaml'), { previous })).toEqual([]);
    // Without a previous object there is nothing to compare: creation is always allowed.
    expect(validateObject(changed)).toEqual([]);
  });

  it('reject a changed AlignmentProfile spec', () => {
    const previous = sample('alignmentprofile.yaml');
    const changed = sample('alignmentprofile.yaml');
    changed.spec.promptSet = 'default/support-prompts';
    expect(validateObject(changed, { previous })).toEqual([
      expect.objectContaining({ path: 'spec', message: 'is immutable; create a new profile for another pairing' }),
    ]);
  });
});
