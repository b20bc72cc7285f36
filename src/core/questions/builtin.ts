/**
 * The questions dm ships for its own data, in the same format as any
 * imported file (JupiterOne's managed questions), so they are read by the
 * same code and can be copied and edited: `dm questions list --format yaml`.
 */
export const BUILTIN_SOURCE = "built-in";

export const BUILTIN_QUESTIONS_YAML = `
questions:
  - id: dm-overdue-by-team
    title: Which teams have overdue maintenance?
    description: Open findings past their due date, counted by the owner of the asset that owes them.
    tags: [dm, maintenance, owners]
    queries:
      - name: overdue
        query: >-
          FIND deferred_maintenance WITH closed = false AND dueDate < date.now AS m
          RETURN m.owner AS owner, count(m) AS overdue ORDER BY overdue DESC
  - id: dm-unowned-repos
    title: Which repositories have no owner?
    description: Active repositories that no team owns and that name no owner; maintenance opened on them has nobody to go to.
    tags: [dm, owners, repo]
    queries:
      - name: unowned
        query: FIND CodeRepo WITH archived != true AND owner = undefined THAT !OWNS << Team
  - id: dm-expired-risk-acceptances
    title: Which risk acceptances have expired?
    description: Findings closed as RISK_ACCEPTED whose acceptance has ended; dm reconcile reopens them.
    tags: [dm, maintenance, risk]
    queries:
      - name: expired
        query: >-
          FIND deferred_maintenance WITH closeReason = 'RISK_ACCEPTED' AND acceptedUntil < date.now AS m
          RETURN m.entityName AS asset, m.shortDescription AS item, m.acceptedUntil AS acceptedUntil, m.owner AS owner
  - id: dm-vulnerable-packages-in-production
    title: Which production repositories use vulnerable packages?
    description: Open vulnerability findings on repositories tagged Production, earliest due first.
    tags: [dm, vulnerabilities, production]
    queries:
      - name: vulnerable
        query: >-
          FIND deferred_maintenance WITH kind = 'vulnerability' AND closed = false AS f
          THAT HAS CodeRepo WITH tag.Production = true AS r
          RETURN r.name AS repo, f.package AS package, f.installedVersion AS installed,
          f.fixedVersion AS fixed, f.severity AS severity, f.dueDate AS due ORDER BY due
`;
