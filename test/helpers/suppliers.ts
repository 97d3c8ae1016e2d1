/** Suppliers for tests and benchmarks: valid Swedish organisation numbers and a supplier created as the system. */
import { SYSTEM_ACTOR } from '../../src/platform/activity';
import { createSupplier, luhnCheckDigit, type SupplierDeps, type SupplierInput } from '../../src/suppliers';

/** A valid organisationsnummer of an aktiebolag (556…) for each seed from 0 to 999,999. */
export function organisationNumberFor(seed: number): string {
  const nine = `556${String(seed).padStart(6, '0')}`;
  return `${nine.slice(0, 6)}-${nine.slice(6)}${luhnCheckDigit(nine)}`;
}

let counter = 0;

/** A Swedish supplier with one contact; `overrides` replace any field. */
export async function createTestSupplier(deps: SupplierDeps, organisationId: string, overrides: Partial<SupplierInput> = {}) {
  counter += 1;
  return createSupplier(
    deps,
    {
      organisationId,
      name: `Test Supplier ${counter} AB`,
      country: 'SE',
      organisationNumber: organisationNumberFor(900_000 + counter),
      contacts: [{ name: 'Kim Kontakt', email: `kim${counter}@supplier.example`, language: 'sv' }],
      ...overrides,
    },
    SYSTEM_ACTOR,
  );
}
