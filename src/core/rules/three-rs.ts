/**
 * The built-in `three-rs` pack: repair, rotate, repave (and hygiene and
 * aging), written on the properties the integrations write (docs/rules.md
 * lists them). Each rule names the threat it answers; repave never applies
 * to immutable containers or serverless functions.
 */
export const THREE_RS_PACK = `
pack: three-rs
description: Repair, rotate, repave — and the hygiene and aging checks that keep them honest.
parameters:
  patchDays: 30
  imageDays: 90
  rotateDays: 90
  unusedDays: 45
  vaultDays: 90
  repaveDays: 90
  repoIdleDays: 180
  unseenDays: 14
rules:
  - id: repair-host-patch
    title: Hosts not patched in {{patchDays}} days
    r: repair
    rationale: A machine that lives on between rebuilds keeps every kernel, OpenSSL and package flaw published since its last patch; attackers scan for exactly those.
    appliesTo: [mutable-vm, bare-metal]
    notApplicable: it is not patched in place; rebuild its image instead (rule repair-image-pinning)
    query: Find Host with lastPatchedOn < date.now - {{patchDays}} days
    open:
      short: Patch the host
      description: The host has not been patched for more than {{patchDays}} days. Apply the OS updates (or repave it) and record lastPatchedOn.
      link: https://github.com/deferred-maintenance/dm/blob/main/docs/rules.md#repair-host-patch
    severity: high
    due: 14d

  - id: repair-image-pinning
    title: Images pinned to latest
    r: repair
    rationale: An image taken as "latest" changes under you and cannot be rebuilt to the same thing; a base image that is never re-pulled on purpose never carries its fixes.
    query: Find Image with pinning = 'latest'
    open:
      short: Pin the image and rebuild it on purpose
      description: The image is referenced as "latest". Pin a tag (or a digest) and rebuild on a schedule so it carries the base image's fixes.
      link: https://github.com/deferred-maintenance/dm/blob/main/docs/rules.md#repair-image-pinning
    severity: medium
    due: 30d

  - id: repair-vulnerable-packages
    title: Vulnerable packages past their SLA
    r: repair
    rationale: A published vulnerability past its fix-by date is the easiest way in; the fix usually exists and only needs the dependency updated.
    query: Find (CodeRepo|Host) that HAS deferred_maintenance with vulnerabilityId != undefined and closed = false and dueDate < date.now
    open:
      short: Update the vulnerable packages past their SLA
      description: The asset has vulnerability findings past their due date (dm vulns scan lists them). Update the packages to the fixed versions.
      link: https://github.com/deferred-maintenance/dm/blob/main/docs/vulnerabilities.md
    severity: high
    due: sla

  - id: rotate-access-key-age
    title: Active access keys not rotated in {{rotateDays}} days
    r: rotate
    rationale: A long-lived key leaks sooner or later (a laptop, a log, a CI variable); rotating it bounds how long a leaked copy works.
    query: Find AccessKey with active = true and lastRotatedOn < date.now - {{rotateDays}} days
    open:
      short: Rotate the access key
      description: The key is active and was last rotated more than {{rotateDays}} days ago. Create a new key, move its users to it, delete the old one.
      link: https://github.com/deferred-maintenance/dm/blob/main/docs/rules.md#rotate-access-key-age
    severity: high
    due: 14d

  - id: rotate-access-key-unused
    title: Access keys unused for {{unusedDays}} days
    r: rotate
    rationale: A key nobody uses is a key nobody will miss when it is stolen; disabling it removes the credential without breaking anything.
    query: Find AccessKey with active = true and lastUsedOn < date.now - {{unusedDays}} days
    open:
      short: Disable the unused access key
      description: The key has not been used for more than {{unusedDays}} days. Disable it (and delete it later if nothing complains).
      link: https://github.com/deferred-maintenance/dm/blob/main/docs/rules.md#rotate-access-key-unused
    severity: medium
    due: 7d

  - id: rotate-vault-secret-age
    title: Vault secrets not rotated in {{vaultDays}} days
    r: rotate
    rationale: A secret that never changes stays valid in every copy ever made of it (backups, env dumps, former staff); rotation expires those copies.
    query: Find hashicorp_vault_secret with rotatedOn < date.now - {{vaultDays}} days
    open:
      short: Rotate the Vault secret
      description: The secret's current version is more than {{vaultDays}} days old. Issue a new value at the source, write it as a new version, revoke the old one.
      link: https://github.com/deferred-maintenance/dm/blob/main/docs/rules.md#rotate-vault-secret-age
    severity: medium
    due: 30d

  - id: repave-host-age
    title: Mutable machines not rebuilt in {{repaveDays}} days
    r: repave
    rationale: A machine patched in place drifts from any known state and keeps whatever an intruder left; rebuilding it from a known image removes both.
    appliesTo: [mutable-vm, bare-metal]
    notApplicable: repaving it achieves nothing, it is replaced on every deploy; rebuild its image instead (rule repair-image-pinning)
    query: Find Host with lastRebuiltOn < date.now - {{repaveDays}} days
    open:
      short: Repave the machine from a known image
      description: The machine was last rebuilt more than {{repaveDays}} days ago. Rebuild it from the current image and record lastRebuiltOn.
      link: https://github.com/deferred-maintenance/dm/blob/main/docs/rules.md#repave-host-age
    severity: medium
    due: 30d

  - id: hygiene-no-owner
    title: Assets with no owner
    r: hygiene
    rationale: Maintenance nobody owns is maintenance nobody does; every other rule's finding goes nowhere without an owner.
    query: Find (CodeRepo|Host) with owner = undefined that !OWNS (Team|Person)
    open:
      short: Give the asset an owner
      description: No team or person owns this asset (CODEOWNERS, or an owner property). Name one.
      link: https://github.com/deferred-maintenance/dm/blob/main/docs/rules.md#hygiene-no-owner
    severity: low
    due: 30d

  - id: hygiene-archived-deployed
    title: Archived repositories still deployed
    r: hygiene
    rationale: An archived repository gets no fixes, yet what it deploys still runs; nobody will patch it.
    query: Find CodeRepo with archived = true that (DEPLOYS|BUILDS|DEPLOYED) (Image|Host|Function|Deployment)
    open:
      short: Retire what the archived repository deploys
      description: The repository is archived but something it deploys is still running. Retire it, or unarchive the repository and own it.
      link: https://github.com/deferred-maintenance/dm/blob/main/docs/rules.md#hygiene-archived-deployed
    severity: medium
    due: 30d

  - id: aging-repo-deployed
    title: Idle repositories still deployed
    r: hygiene
    rationale: Code with no commit in months still running in production has drifted behind its dependencies and its runtime; nobody remembers how to release it.
    query: Find CodeRepo with lastCommitOn < date.now - {{repoIdleDays}} days that (DEPLOYS|BUILDS|DEPLOYED) (Image|Host|Function|Deployment)
    open:
      short: Refresh or retire the idle repository
      description: No commit for more than {{repoIdleDays}} days, yet it is deployed. Rebuild and release it (to prove it still can be), or retire it.
      link: https://github.com/deferred-maintenance/dm/blob/main/docs/rules.md#aging-repo-deployed
    severity: low
    due: 60d

  - id: aging-host-unseen
    title: Hosts not seen in {{unseenDays}} days
    r: hygiene
    rationale: A host no inventory has seen for weeks is either gone (and the record lies) or running unmanaged (and nobody patches it).
    query: Find Host with lastSeenOn < date.now - {{unseenDays}} days
    open:
      short: Find or retire the unseen host
      description: No inventory has reported this host for more than {{unseenDays}} days. Find it and enrol it, or mark it retired.
      link: https://github.com/deferred-maintenance/dm/blob/main/docs/rules.md#aging-host-unseen
    severity: medium
    due: 14d

  - id: aging-image-running
    title: Images older than {{imageDays}} days still running
    r: repair
    rationale: An old image carries every fix its base image published since it was built; a running container does not change, only a rebuild does.
    query: Find Image with createdOn < date.now - {{imageDays}} days that USES (Configuration|Deployment|Container|Host)
    open:
      short: Rebuild the old running image
      description: The image was built more than {{imageDays}} days ago and is still running. Rebuild it on the current base image and redeploy.
      link: https://github.com/deferred-maintenance/dm/blob/main/docs/rules.md#aging-image-running
    severity: medium
    due: 30d
`;
