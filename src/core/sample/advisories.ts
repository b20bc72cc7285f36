/**
 * Two published OSV advisories (ids, ranges and severities as published)
 * about packages the sample organisation uses, so that `dm demo` can show a
 * vulnerability scan without any download.
 */
export const SAMPLE_ADVISORIES: readonly unknown[] = [
  {
    "schema_version": "1.4.0",
    "id": "GHSA-35jh-r3h4-6jhm",
    "modified": "2021-05-06T16:05:46Z",
    "published": "2021-05-06T16:05:51Z",
    "aliases": [
      "CVE-2021-23337"
    ],
    "summary": "Command Injection in lodash",
    "details": "`lodash` versions prior to 4.17.21 are vulnerable to Command Injection via the template function.",
    "severity": [
      {
        "type": "CVSS_V3",
        "score": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"
      }
    ],
    "affected": [
      {
        "package": {
          "ecosystem": "npm",
          "name": "lodash",
          "purl": "pkg:npm/lodash"
        },
        "ranges": [
          {
            "type": "ECOSYSTEM",
            "events": [
              {
                "introduced": "0"
              },
              {
                "fixed": "4.17.21"
              }
            ]
          }
        ]
      },
      {
        "package": {
          "ecosystem": "npm",
          "name": "lodash-es",
          "purl": "pkg:npm/lodash-es"
        },
        "ranges": [
          {
            "type": "ECOSYSTEM",
            "events": [
              {
                "introduced": "0"
              },
              {
                "fixed": "4.17.21"
              }
            ]
          }
        ]
      }
    ],
    "database_specific": {
      "cwe_ids": [
        "CWE-77",
        "CWE-94"
      ],
      "severity": "HIGH",
      "github_reviewed": true
    }
  },
  {
    "schema_version": "1.4.0",
    "id": "GHSA-jh3w-4vvf-mjgr",
    "modified": "2023-07-03T21:37:16Z",
    "published": "2023-07-03T15:30:58Z",
    "aliases": [
      "CVE-2023-36053"
    ],
    "summary": "Django has regular expression denial of service vulnerability in EmailValidator/URLValidator",
    "details": "In Django 3.2 before 3.2.20, 4 before 4.1.10, and 4.2 before 4.2.3, EmailValidator and URLValidator are subject to a potential ReDoS (regular expression denial of service) attack via a very large number of domain name labels of emails and URLs.",
    "severity": [
      {
        "type": "CVSS_V3",
        "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
      }
    ],
    "affected": [
      {
        "package": {
          "ecosystem": "PyPI",
          "name": "Django",
          "purl": "pkg:pypi/django"
        },
        "ranges": [
          {
            "type": "ECOSYSTEM",
            "events": [
              {
                "introduced": "3.2a1"
              },
              {
                "fixed": "3.2.20"
              }
            ]
          },
          {
            "type": "ECOSYSTEM",
            "events": [
              {
                "introduced": "4.0a1"
              },
              {
                "fixed": "4.1.10"
              }
            ]
          },
          {
            "type": "ECOSYSTEM",
            "events": [
              {
                "introduced": "4.2a1"
              },
              {
                "fixed": "4.2.3"
              }
            ]
          }
        ]
      }
    ],
    "database_specific": {
      "cwe_ids": [
        "CWE-1333"
      ],
      "severity": "HIGH",
      "github_reviewed": true
    }
  }
];
