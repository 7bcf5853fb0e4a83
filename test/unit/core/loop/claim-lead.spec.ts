import { describe, expect, it } from '@jest/globals';
import { ClaimLead, MAX_CLAIM_LEAD } from '../../../../lib/core/loop/claim-lead.js';

describe('ClaimLead', () => {
  it('starts at nothing and takes on the time a slower pass took', () => {
    const lead = new ClaimLead();
    expect(lead.ms).toBe(0);
    lead.observe(120);
    expect(lead.ms).toBe(120);
    lead.observe(150);
    expect(lead.ms).toBe(150);
  });

  it('forgets one slow pass gradually, not at the next fast one', () => {
    const lead = new ClaimLead();
    lead.observe(200);
    lead.observe(10);
    expect(lead.ms).toBe(180);
    for (let i = 0; i < 60; i++) lead.observe(10);
    expect(lead.ms).toBe(10);
  });

  it('never starts a pass more than MAX_CLAIM_LEAD early', () => {
    const lead = new ClaimLead();
    lead.observe(60_000);
    expect(lead.ms).toBe(MAX_CLAIM_LEAD);
  });
});
