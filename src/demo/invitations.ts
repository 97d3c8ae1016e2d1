import type { OrganisationDocument } from '../accounts/model';
import type { CampaignDocument } from '../campaigns';
import { createInvitation } from '../campaigns';
import type { AppDeps } from '../deps';
import type { SupplierDocument } from '../suppliers';

interface DemoInvitationSeed {
  organisation: OrganisationDocument;
  campaign: CampaignDocument;
  suppliers: SupplierDocument[];
}

/**
 * One invitation per demo supplier in the supplier's own language, with the organisation's contact as the buyer
 * contact. Returns the first supplier's link, printed at start-up (the token exists nowhere else).
 */
export async function seedDemoInvitations(
  deps: Pick<AppDeps, 'connection' | 'clock' | 'config'>,
  demo: DemoInvitationSeed,
): Promise<string | undefined> {
  const { organisation, campaign } = demo;
  const buyerContact =
    organisation.contactName && organisation.contactEmail
      ? { name: organisation.contactName, email: organisation.contactEmail }
      : undefined;
  let firstUrl: string | undefined;
  for (const supplier of demo.suppliers) {
    const { url } = await createInvitation(deps, {
      organisationId: organisation._id,
      campaignId: campaign._id,
      supplierId: supplier._id,
      questionnaireId: campaign.questionnaireId,
      questionnaireVersion: campaign.questionnaireVersion,
      language: supplier.contacts[0]?.language === 'en' ? 'en' : 'sv',
      buyerContact,
    });
    firstUrl ??= url;
  }
  return firstUrl;
}
