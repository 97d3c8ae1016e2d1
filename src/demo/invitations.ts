import type { UserDocument } from '../accounts/model';
import { sendCampaign, type CampaignDocument } from '../campaigns';
import type { AppDeps } from '../deps';

interface DemoSend {
  campaign: CampaignDocument;
  buyer: UserDocument;
}

/**
 * Sends the demo campaign the way a buyer would: one invitation email per demo supplier's contact, each in the outbox
 * (readable in the dev mailbox) with its working link. Returns the first supplier's link, printed at start-up.
 */
export async function sendDemoCampaign(deps: AppDeps, demo: DemoSend): Promise<string | undefined> {
  const result = await sendCampaign(deps, demo.campaign.organisationId, demo.campaign._id, { kind: 'user', id: demo.buyer.id, name: demo.buyer.name });
  return result.links[0]?.url;
}
