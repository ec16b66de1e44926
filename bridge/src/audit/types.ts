/** Text encoding of a file and its origin: its bytes, `--encoding`, or a guess. */
export interface FileEncoding {
  file: string;
  encoding: string;
  chosen: "detected" | "stated" | "guessed";
}

/** audit.json: figures about a snapshot, before anything is mapped or imported. */
export interface AuditReport {
  snapshot: { root: string; app?: string; pulledAt?: string; sourceTimeZone: string; hash: string };
  generatedAt: string;
  counts: Record<string, number>;
  users: {
    total: number;
    identified: number;
    anonymous: number;
    /** Anonymous rows of user files (no extId; keyed by e-mail, MSISDN or row). */
    anonymousInUserFiles: number;
    /** Installations without an extId that match no user row. */
    anonymousInstallations: number;
    userRowsPerFile: Record<string, number>;
    /** Users whose files disagree on a value (not only on how it is written). */
    usersWithConflicts: number;
    /** First conflicts: the value kept (first file in sorted order) and the other one. */
    conflictSample: { user: string; column: string; kept: string; other: string }[];
    /**
     * Users whose extId differs only in case from another user's (`ayse.k`, `AYSE.K`). They
     * stay separate contacts because extIds are case-sensitive, and plan flags each of them.
     */
    caseVariants: number;
    /** First groups of such extIds. */
    caseVariantSample: string[][];
    rowProblems: number;
  };
  segmentCoverage: {
    segmentsDefined: number;
    segmentsWithMembershipFile: number;
    usersInSomeSegment: number;
    usersInNoSegment: number;
    /** Share of all users that are in at least one exported segment, 0–100 with one decimal. */
    coveragePercent: number;
    /** First users in no segment; the full list is in users-without-segment.csv. */
    usersInNoSegmentSample: string[];
    segments: {
      id: string;
      name: string;
      type?: string;
      declaredUserCount: number | null;
      membersFound: number;
      membershipFile: boolean;
    }[];
  };
  tags: {
    tags: { name: string; members: number }[];
    usersWithNoTag: number;
    identifiedWithNoTag: number;
  };
  gdpr: {
    /** Users whose country is an EU or EEA member state. */
    euEeaUsers: number;
    byCountry: Record<string, number>;
    usersWithoutCountry: number;
    unrecognisedCountries: number;
  };
  pushTokens: {
    installations: number;
    withPushToken: number;
    pushPermitted: number;
    byPlatform: Record<string, number>;
  };
  events: {
    total: number;
    withoutUser: number;
    badAttributes: number;
    codes: {
      code: string;
      count: number;
      defined: boolean;
      attributes: { key: string; type: string; values: number }[];
    }[];
  };
  campaigns: {
    total: number;
    byChannel: Record<string, number>;
    /** Campaign assets Odoo mail cannot carry as they are: images over 1 MB, videos over 12 MB. */
    oversizedAssets: { campaign: string; type: string; sizeBytes: number }[];
    pushResultRows: number;
  };
  files: {
    /** Every CSV or text file the audit read, in path order. */
    encodings: FileEncoding[];
    /** Files that no reader takes, so nothing of them is imported, with the reason. */
    notRead: { file: string; reason: string }[];
  };
}
