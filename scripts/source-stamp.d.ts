// Types of scripts/source-stamp.js (plain JavaScript so bin/spillway.js can load it unstripped).
export declare const stampName: string;
export declare function buildInputs(root: string): string[];
export declare function sourceDigest(root: string): string;
export declare function currentEntry(root: string, env?: NodeJS.ProcessEnv): 'dist' | 'source';
