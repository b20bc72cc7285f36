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
  # JupiterOne's questions for the services dm syncs (docs/integrations.md), one per
  # integration; the published ones keep JupiterOne's id, so importing JupiterOne's
  # file replaces them. \`dm demo\` asks each of them of its sample.
  - id: integration-question-github-repos-without-branch-protection
    # JupiterOne/graph-github, jupiterone/questions/questions.yaml (managed:github), as published
    title: Which GitHub repos do not have branch protection rules?
    description: Finds all GitHub repos without branch protection rules (JupiterOne's managed question for GitHub).
    tags: [dm, jupiterone, github, dev, access, permissions]
    queries:
      - name: bad
        query: FIND github_repo that !HAS github_branch_protection_rule
  - id: integration-question-github-access-repo-outside-collaborator
    # JupiterOne/graph-github, jupiterone/questions/questions.yaml (managed:github), as published
    title: Which GitHub repos are accessible to outside collaborators?
    description: Finds all GitHub repos accessible to outside collaborators (JupiterOne's managed question for GitHub).
    tags: [dm, jupiterone, github, access, permissions]
    queries:
      - name: outside
        query: >-
          FIND github_repo AS repo THAT ALLOWS AS perms github_user WITH role="OUTSIDE" AS user
          RETURN user.displayName, repo.displayName, perms.adminPermission, perms.maintainPermission,
          perms.pullPermission, perms.pushPermission, perms.triagePermission
  - id: dm-gitlab-projects-added-last-24-hours
    # JupiterOne's managed questions library, Application Development (JupiterOne-Archives/docs-old,
    # docs/questions/managed-questions-appdev.rst): "Were there any Code Repos added in the last
    # 24 hours?", Find CodeRepo with _beginOn > date.now-24hr and _version=1; here for GitLab's projects.
    title: Were there any GitLab projects added in the last 24 hours?
    description: GitLab projects whose first version was written within the last 24 hours (JupiterOne's managed question "Were there any Code Repos added in the last 24 hours?", for gitlab_project).
    tags: [dm, jupiterone, gitlab, app, dev, DevOps]
    queries:
      - name: added
        query: Find gitlab_project with _beginOn > date.now-24hr and _version=1
  - id: dm-bitbucket-repos-by-project
    # JupiterOne's managed questions library, Application Development (JupiterOne-Archives/docs-old,
    # docs/questions/managed-questions-appdev.rst): "What are the code repos for a particular
    # application or project?", Find CodeRepo that relates to (Application|Project) with name='JupiterOne';
    # here for every project at once, named in the answer.
    title: What are the Bitbucket code repos of each project?
    description: Bitbucket repositories by the project they are in (JupiterOne's managed question "What are the code repos for a particular application or project?", for every project).
    tags: [dm, jupiterone, bitbucket, app, dev, DevOps]
    queries:
      - name: repos
        query: >-
          FIND bitbucket_repo AS repo THAT RELATES TO (Application|Project) AS project
          RETURN project.name AS project, repo.name AS repo ORDER BY project
  - id: dm-pagerduty-unmonitored-services
    # JupiterOne publishes no question for PagerDuty (JupiterOne/graph-pagerduty has no
    # jupiterone/questions; the managed questions library has none): written in their style,
    # on graph-pagerduty's documented pagerduty_user -MONITORS-> pagerduty_service.
    title: Which PagerDuty services does no user monitor?
    description: PagerDuty services whose escalation policy reaches nobody, neither directly nor through a schedule.
    tags: [dm, pagerduty, monitoring, on-call]
    queries:
      - name: bad
        query: FIND pagerduty_service THAT !MONITORS pagerduty_user
  - id: integration-question-hashicorp-vault-engine-without-secrets
    # JupiterOne/graph-hashicorp-vault, jupiterone/questions/questions.yaml (managed:hashicorp-vault), as published
    title: Which Hashicorp Vault engines do not have any secrets?
    description: Returns a list of Hashicorp Vault engines that do not use a key vault secret (JupiterOne's managed question for HashiCorp Vault).
    tags: [dm, jupiterone, vault, hashicorp-vault, secrets]
    queries:
      - name: bad
        query: FIND hashicorp_vault_engine THAT !HAS hashicorp_vault_secret WITH name !~="kv"
  - id: dm-kubernetes-privileged-containers
    # JupiterOne publishes no question for Kubernetes (JupiterOne/graph-kubernetes has no
    # jupiterone/questions; the managed questions library has none): written in their style,
    # on graph-kubernetes's kube_container_spec securityContext properties.
    title: Which Kubernetes containers run privileged?
    description: Containers of Kubernetes workloads with securityContext.privileged, by namespace and workload.
    tags: [dm, kubernetes, containers, access]
    queries:
      - name: bad
        query: >-
          FIND kube_container_spec WITH securityContext.privileged = true AS c THAT USES (Deployment|Task) AS d
          RETURN d.namespace, d.name, c.name, c.image
`;
