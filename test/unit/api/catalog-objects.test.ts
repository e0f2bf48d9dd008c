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
    const nameSchema =
      loadCrds().get('SpecDecodeDeployment')!.schema.properties!.spec!.properties!.target!.properties!.model!
        .properties!.name!;
    const pattern = new RegExp(nameSchema.pattern!);
    const rejected = BUILTIN_CATALOG.models
      .map((model) => model.name)
      .filter((name) => !pattern.test(name) || name.length > nameSchema.maxLength!);
    expect(rejected).toEqual([]);
  });
});
