// The CLI's grammars and printing of numbers, times, ports and mounts, as
// the docker CLI has them.
import { parseMountFlag, splitCsv, volumeFlags } from '../../src/cli/mount-flags';
import { displayablePorts, parsePortSpec, publishedPorts } from '../../src/cli/ports';
import { binarySize } from '../../src/cli/commands/system';
import { apiTimestampToNs, formatEventTime, parseGoDuration, toApiTimestamp } from '../../src/cli/timestamps';
import { goFormatG, humanDuration, humanSize, parseBytes, parseNanoCpus, parseSwapBytes, timeAgo } from '../../src/cli/units';
import { ellipsis, truncateId } from '../../src/cli/views';

describe('sizes', () => {
  test('flag sizes are 1024-based with optional b/ib suffixes', () => {
    expect(parseBytes('512m')).toBe(512 * 1024 ** 2);
    expect(parseBytes('1g')).toBe(1024 ** 3);
    expect(parseBytes('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('64 MB')).toBe(64 * 1024 ** 2);
    expect(parseBytes('100')).toBe(100);
    expect(parseBytes('100b')).toBe(100);
    expect(parseBytes('2k')).toBe(2048);
    expect(parseSwapBytes('-1')).toBe(-1);
  });

  test('bad sizes say what is wrong', () => {
    expect(() => parseBytes('abc')).toThrow("invalid size: 'abc'");
    expect(() => parseBytes('-1')).toThrow("invalid size: '-1'");
    expect(() => parseBytes('12x')).toThrow("invalid suffix: 'x'");
    expect(() => parseBytes('12mbb')).toThrow("invalid suffix: 'mbb'");
    expect(() => parseBytes('12kx')).toThrow("invalid suffix: 'kx'");
  });

  test('table sizes are decimal with three significant digits', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(1000)).toBe('1kB');
    expect(humanSize(4096)).toBe('4.1kB');
    expect(humanSize(1_980_000)).toBe('1.98MB');
    expect(humanSize(1_234_567_890)).toBe('1.23GB');
    expect(humanSize(999_999)).toBe('1e+03kB');
    expect(goFormatG(123456, 3)).toBe('1.23e+05');
    expect(binarySize(4114448384)).toBe('3.832GiB');
  });

  test('--cpus in nano-CPUs, exactly', () => {
    expect(parseNanoCpus('1.5')).toBe(1_500_000_000);
    expect(parseNanoCpus('0.01')).toBe(10_000_000);
    expect(parseNanoCpus('2')).toBe(2_000_000_000);
    expect(parseNanoCpus('.5')).toBe(500_000_000);
    expect(() => parseNanoCpus('0.0000000001')).toThrow('value is too precise');
    expect(() => parseNanoCpus('one')).toThrow('failed to parse one as a rational number');
  });
});

describe('durations and times', () => {
  test('docker\'s coarse durations', () => {
    const s = 1000;
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(1 * s)).toBe('1 second');
    expect(humanDuration(45 * s)).toBe('45 seconds');
    expect(humanDuration(60 * s)).toBe('About a minute');
    expect(humanDuration(119 * s)).toBe('About a minute');
    expect(humanDuration(5 * 60 * s)).toBe('5 minutes');
    expect(humanDuration(60 * 60 * s)).toBe('About an hour');
    expect(humanDuration(2 * 3600 * s)).toBe('2 hours');
    expect(humanDuration(47 * 3600 * s)).toBe('47 hours');
    expect(humanDuration(3 * 86400 * s)).toBe('3 days');
    expect(humanDuration(3 * 7 * 86400 * s)).toBe('3 weeks');
    expect(humanDuration(90 * 86400 * s)).toBe('3 months');
    expect(humanDuration(3 * 365 * 86400 * s)).toBe('3 years');
    expect(timeAgo(1000, 1000 * 1000 + 90 * s)).toBe('About a minute ago');
  });

  test('--since/--until: durations back from now, unix times, dates', () => {
    const now = Date.UTC(2025, 0, 1, 12, 0, 0);
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('later')).toBeUndefined();
    expect(toApiTimestamp('10m', now)).toBe(String(now / 1000 - 600));
    expect(toApiTimestamp('1700000000', now)).toBe('1700000000');
    expect(toApiTimestamp('1700000000.5', now)).toBe('1700000000.5');
    expect(toApiTimestamp('2025-01-01T10:00:00Z', now)).toBe(`${Date.UTC(2025, 0, 1, 10) / 1000}.000000000`);
    expect(toApiTimestamp('2025-01-01T10:00:00.25+01:00', now)).toBe(`${Date.UTC(2025, 0, 1, 9) / 1000}.250000000`);
    expect(() => toApiTimestamp('yesterday', now)).toThrow('failed to parse value as time or duration: "yesterday"');
    expect(apiTimestampToNs('1700000000.5')).toBe(1700000000.5e9);
  });

  test('event times have nanoseconds and a zone', () => {
    expect(formatEventTime(1_700_000_000_123_456_789)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}(Z|[+-]\d{2}:\d{2})$/);
  });

  test('IDs and ellipses', () => {
    expect(truncateId('sha256:0123456789abcdef0123')).toBe('0123456789ab');
    expect(truncateId('0123456789abcdef')).toBe('0123456789ab');
    expect(ellipsis('/bin/sh -c while true; do sleep 1; done', 20)).toBe('/bin/sh -c while tr…');
    expect(ellipsis('short', 20)).toBe('short');
  });
});

describe('ports', () => {
  test('the short grammar with addresses, ranges and protocols', () => {
    expect(parsePortSpec('80')).toEqual([{ port: '80/tcp', binding: { HostIp: '', HostPort: '' } }]);
    expect(parsePortSpec('8080:80/udp')).toEqual([{ port: '80/udp', binding: { HostIp: '', HostPort: '8080' } }]);
    expect(parsePortSpec('0.0.0.0:8000-8001:80-81')).toEqual([
      { port: '80/tcp', binding: { HostIp: '0.0.0.0', HostPort: '8000' } },
      { port: '81/tcp', binding: { HostIp: '0.0.0.0', HostPort: '8001' } },
    ]);
    expect(parsePortSpec('8000-8010:80')).toEqual([{ port: '80/tcp', binding: { HostIp: '', HostPort: '8000-8010' } }]);
    expect(parsePortSpec('[2001:db8::1]:53:53/sctp')).toEqual([{ port: '53/sctp', binding: { HostIp: '2001:db8::1', HostPort: '53' } }]);
  });

  test('bad specs with docker\'s messages', () => {
    expect(() => parsePortSpec('8000-8001:80-82')).toThrow('invalid ranges specified for container and host Ports: 80-82 and 8000-8001');
    expect(() => parsePortSpec('x:80')).toThrow('invalid hostPort: x');
    expect(() => parsePortSpec('80000')).toThrow('invalid containerPort: 80000');
    expect(() => parsePortSpec('1.2.3:80:80')).toThrow('invalid IP address: 1.2.3');
    expect(() => parsePortSpec('8080:')).toThrow('no port specified: 8080:<empty>');
    expect(() => publishedPorts([], ['80:80'])).toThrow('invalid port format for --expose: 80:80');
    expect(() => publishedPorts([], ['9-1'])).toThrow('invalid range format for --expose: 9-1');
  });

  test('the long grammar', () => {
    expect(publishedPorts(['published=8080,target=80,protocol=udp'], [])).toEqual({
      exposedPorts: { '80/udp': {} },
      portBindings: { '80/udp': [{ HostIp: '', HostPort: '8080' }] },
    });
  });

  test('the PORTS column: runs of same-numbered ports folded, other host ports one by one at the end', () => {
    expect(
      displayablePorts([
        { PrivatePort: 81, PublicPort: 8081, IP: '0.0.0.0', Type: 'tcp' },
        { PrivatePort: 80, PublicPort: 8080, IP: '0.0.0.0', Type: 'tcp' },
        { PrivatePort: 443, Type: 'tcp' },
        { PrivatePort: 444, Type: 'tcp' },
        { PrivatePort: 53, PublicPort: 53, IP: '0.0.0.0', Type: 'udp' },
        { PrivatePort: 54, PublicPort: 54, IP: '0.0.0.0', Type: 'udp' },
        { PrivatePort: 8000, PublicPort: 9000, IP: '::', Type: 'tcp' },
      ]),
    ).toBe('0.0.0.0:53-54->53-54/udp, 443-444/tcp, 0.0.0.0:8080->80/tcp, 0.0.0.0:8081->81/tcp, [::]:9000->8000/tcp');
    expect(displayablePorts([{ PrivatePort: 1, Type: 'tcp' }, { PrivatePort: 3, Type: 'tcp' }])).toBe('1/tcp, 3/tcp');
    expect(displayablePorts([])).toBe('');
  });
});

describe('mounts', () => {
  test('-v: targets alone are volumes, sources are binds, ./x absolute, repeats once', () => {
    expect(volumeFlags(['/data', 'vol:/v', './x:/x:ro', '../up:/up', '~/h:/h', '/data'], '/cwd')).toEqual({
      volumes: { '/data': {} },
      binds: ['vol:/v', '/cwd/x:/x:ro', '/up:/up', '~/h:/h'],
    });
    expect(() => volumeFlags(['/a:/b:ro:x'], '/')).toThrow('invalid spec: /a:/b:ro:x: too many colons');
    expect(() => volumeFlags([''], '/')).toThrow('invalid empty volume spec');
  });

  test('--mount: aliases, bare booleans, options of each type, relative bind sources', () => {
    expect(parseMountFlag('type=bind,src=.,dst=/t,readonly,bind-propagation=rslave', '/cwd')).toEqual({
      Type: 'bind', Source: '/cwd', Target: '/t', ReadOnly: true, BindOptions: { Propagation: 'rslave' },
    });
    expect(parseMountFlag('target=/t,source=v', '/')).toEqual({ Type: 'volume', Source: 'v', Target: '/t' });
    expect(parseMountFlag('type=volume,target=/t,volume-driver=local,volume-opt=o=size=1g,volume-subpath=sub', '/')).toEqual({
      Type: 'volume', Target: '/t', VolumeOptions: { DriverConfig: { Name: 'local', Options: { o: 'size=1g' } }, Subpath: 'sub' },
    });
    expect(parseMountFlag('type=bind,source=/a,target=/b,bind-recursive=disabled', '/').BindOptions).toEqual({ NonRecursive: true });
    expect(parseMountFlag('type=bind,source=/a,target=/b,readonly=0', '/').ReadOnly).toBe(false);
    expect(parseMountFlag('"type=bind","source=/a,b",target=/b', '/').Source).toBe('/a,b');
  });

  test('--mount errors with docker\'s words', () => {
    expect(() => parseMountFlag('type=volume,source=/foo', '/')).toThrow('target is required');
    expect(() => parseMountFlag('type=volume,target=/foo,bogus=foo', '/')).toThrow("unexpected key 'bogus' in 'bogus=foo'");
    expect(() => parseMountFlag('type=volume,target=/foo,bogus', '/')).toThrow("invalid field 'bogus' must be a key=value pair");
    expect(() => parseMountFlag('type=volume,target=/foo,readonly=no', '/')).toThrow('invalid value for readonly: no');
    expect(() => parseMountFlag('type=tmpfs,target=/foo,tmpfs-size=foo', '/')).toThrow('invalid value for tmpfs-size: foo');
    expect(() => parseMountFlag('type=volume,target=/foo,source=/foo,bind-propagation=rprivate', '/')).toThrow(
      "cannot mix 'bind-*' options with mount type 'volume'",
    );
    expect(() => parseMountFlag('type=bind,target=/foo,source=/foo,volume-nocopy=true', '/')).toThrow(
      "cannot mix 'volume-*' options with mount type 'bind'",
    );
    expect(() => parseMountFlag('type=bind,source=/foo,target=/bar,bind-recursive=readonly,readonly', '/')).toThrow(
      "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction",
    );
    expect(() => splitCsv('a="b')).toThrow(/bare " in non-quoted-field/);
  });
});
