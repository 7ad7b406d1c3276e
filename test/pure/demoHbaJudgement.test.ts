import { describe, expect, it } from 'vitest';
import { greenplumHba } from '../../demo/conf';
import { admits, clientAddress, hbaErrors, PLUMBING_MARK, refusal, type HostResolver } from '../../demo/gphome/hba';

const conn = (client: string, replication = true, database = 'replication') => ({ client, server: '10.0.0.2', user: 'gpadmin', database, replication });

describe('the demo tools\' pg_hba.conf judgement', () => {
  const hba = greenplumHba('gpadmin', ['10.0.0.1'], ['10.0.0.2', '10.0.0.3']);

  it('trusts the coordinator, the content\'s hosts and the same host; nobody else, whatever the loopback plumbing lets in', () => {
    expect(hba).toContain(PLUMBING_MARK);
    expect(admits(hba, conn('10.0.0.3'))).toBe(true);
    expect(admits(hba, conn('10.0.0.2'))).toBe(true);
    expect(admits(hba, conn('10.0.0.1', false, 'template1'))).toBe(true);
    expect(admits(hba, conn('10.0.0.4'))).toBe(false);
    expect(admits(hba, conn('10.0.0.4', false, 'template1'))).toBe(false);
    expect(admits(hba, conn('127.0.0.1'))).toBe(false);
  });

  it('applies the first line that matches, masks and CIDR, as PostgreSQL does', () => {
    const text = 'host replication all 10.0.0.4/32 reject\nhost replication all 10.0.0.0/24 trust\nhost all all 192.168.1.0 255.255.255.0 trust\n';
    expect(admits(text, conn('10.0.0.4'))).toBe(false);
    expect(admits(text, conn('10.0.0.9'))).toBe(true);
    expect(admits(text, conn('192.168.1.77', false, 'postgres'))).toBe(true);
    expect(admits(text, conn('192.168.2.77', false, 'postgres'))).toBe(false);
  });

  it('says what PostgreSQL says, and knows the host from the executor or from sshd', () => {
    expect(refusal(conn('10.0.0.4'))).toBe('FATAL:  no pg_hba.conf entry for replication connection from host "10.0.0.4", user "gpadmin", no encryption');
    expect(refusal(conn('10.0.0.4', false, 'template1'))).toBe('FATAL:  no pg_hba.conf entry for host "10.0.0.4", user "gpadmin", database "template1", no encryption');
    const hosts = () => JSON.stringify({ sdw1: ['10.0.0.5', '10.1.0.5'] });
    expect(clientAddress({ GPRECOVER_HOST: 'sdw1', GPDEMO_HOSTS: '/gphome/share/hosts.json' }, hosts)).toBe('10.1.0.5');
    expect(clientAddress({ SSH_CONNECTION: '10.0.0.1 50000 10.0.0.6 22' })).toBe('10.0.0.6');
    expect(clientAddress({})).toBeUndefined();
  });

  it('reads host names as PostgreSQL does: a name with a mask is an error, a name matches by reverse and forward lookup', () => {
    expect(hbaErrors('host all gpadmin sdw1/32 trust\nhost all gpadmin 10.0.0.5/32 trust\n')).toEqual(['specifying both host name and CIDR mask is invalid: "sdw1/32" (line 1)']);
    expect(hbaErrors('host all gpadmin 10.0.0.5 trust\n')).toEqual(['invalid IP mask "10.0.0.5": IP address needs a CIDR mask or a separate mask (line 1)']);
    const resolver: HostResolver = {
      reverse: (ip) => ({ '10.1.0.5': 'sdw1', '10.1.0.6': 'sdw2' } as Record<string, string>)[ip],
      forward: (name) => ({ sdw1: ['10.0.0.5', '10.1.0.5'], sdw2: ['10.0.0.6'] } as Record<string, string[]>)[name] ?? [],
    };
    const byName = 'host replication gpadmin sdw1 trust\nhost replication gpadmin sdw2 trust\n';
    expect(admits(byName, conn('10.1.0.5'), resolver)).toBe(true);
    // sdw2's name does not resolve to the address its connection comes from: PostgreSQL refuses it.
    expect(admits(byName, conn('10.1.0.6'), resolver)).toBe(false);
    expect(admits(byName, conn('10.0.0.9'), resolver)).toBe(false);
  });
});
