/**
 * AWS partitions and the hosts that differ between them. Why: a console link built for the
 * commercial partition does not work for a GovCloud or China role (their sign-in and
 * console hosts differ), so hosts are derived from the ARN, never hard-coded (the habit of
 * granted's console URL builder).
 */

/** The partitions the broker knows the sign-in hosts of. */
export type Partition = 'aws' | 'aws-us-gov' | 'aws-cn';

const HOSTS: Readonly<Record<Partition, { readonly signin: string; readonly console: string }>> = {
  aws: { signin: 'https://signin.aws.amazon.com', console: 'https://console.aws.amazon.com/' },
  'aws-us-gov': {
    signin: 'https://signin.amazonaws-us-gov.com',
    console: 'https://console.amazonaws-us-gov.com/',
  },
  'aws-cn': { signin: 'https://signin.amazonaws.cn', console: 'https://console.amazonaws.cn/' },
};

/** The partition named by an ARN (`arn:aws-us-gov:iam::…` → `aws-us-gov`), or undefined. */
export function partitionOf(arn: string): Partition | undefined {
  const partition = arn.split(':')[1];
  return partition !== undefined && partition in HOSTS ? (partition as Partition) : undefined;
}

/** The federation endpoint and the console home of a partition. */
export function consoleEndpoints(partition: Partition): { federationUrl: string; destination: string } {
  const hosts = HOSTS[partition];
  return { federationUrl: `${hosts.signin}/federation`, destination: hosts.console };
}

/**
 * The partition of a region (`cn-north-1` → `aws-cn`, `us-gov-west-1` → `aws-us-gov`, any other
 * → `aws`). Why: ARNs the broker builds itself (a member account's agent role) must name the
 * partition it runs in; Lambda always sets AWS_REGION, so no extra setting can drift from it.
 */
export function partitionOfRegion(region: string | undefined): Partition {
  if (region?.startsWith('cn-')) return 'aws-cn';
  if (region?.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
