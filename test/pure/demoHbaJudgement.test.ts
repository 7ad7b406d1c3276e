import { describe, expect, it } from 'vitest';
import { greenplumHba } from '../../demo/conf';
import { admits, clientAddress, PLUMBING_MARK, refusal } from '../../demo/gphome/hba';

const conn = (client: string, replication = true, database = 'replication') => ({ client, server: '10.0.0.2', user: 'gpadmin', database, replication });

describe('the demo tools\' pg_hba.conf judgement', () => {
  const hba = greenplumHba('gpadmin', '10.0.0.1', ['10.0.0.2', '10.0.0.3']);

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
});
