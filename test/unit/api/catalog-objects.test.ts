import { loadCrds } from '../../../src/api/crds.js';
import { formatValidationError } from '../../../src/api/errors.js';
import { validateObject } from '../../../src/api/validate.js';
import { BUILTIN_CATALOG, catalogDeviceClassObject } from '../../../src/catalog/index.js';

describe('the built-in catalog as API objects', () => {
  it('gives DeviceClass objects the CRD accepts', () => {
    const problems = BUILTIN_CATALOG.deviceClasses.flatMap((entry) =>
      validateObject(catalogDeviceClassObject(entry)).map(formatValidationError),
    );
    expect(problems).toEqual([]);
  });

  it('names models the CRD accepts', () => {
    const pattern = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/;
    expect(
      BUILTIN_CATALOG.models.map((model) => model.name).filter((name) => !pattern.test(name) || name.length > 128),
    ).toEqual([]);
  });
});
