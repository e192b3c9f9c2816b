// The Engine as a library user meets it: one engine per root, images in
// Docker's API shapes, and everything still there after a restart.
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Engine } from '../../../src';
import { buildImage, busyboxEntries, layerTar, writeDockerSave } from '../../support/image-fixtures';
import { describeAsRoot, destroyTempRoot, makeTempRoot, mountPointsUnder } from '../../support/temp-root';

describeAsRoot('engine', () => {
  let root = '';
  beforeEach(() => {
    root = makeTempRoot();
  });
  afterEach(async () => {
    await destroyTempRoot(root);
  });

  test('owns its root alone, serves images in Docker shapes, and keeps them across a restart', async () => {
    const engineRoot = path.join(root, 'engine');
    const engine = await Engine.open({ root: engineRoot });
    await expect(Engine.open({ root: engineRoot })).rejects.toMatchObject({
      code: 'EBUSY',
      message: expect.stringContaining('another berth engine is using'),
    });
    expect(engine.driver.name).toBe('overlay2');

    const layer = await layerTar(busyboxEntries());
    const image = buildImage({ layers: [layer], config: { Cmd: ['/bin/sh'], Labels: { team: 'storage' } } });
    const archive = path.join(root, 'busybox.tar');
    await writeDockerSave(archive, image, ['busybox:latest'], [layer]);
    const lines: string[] = [];
    expect(await engine.images.load(archive, { onMessage: (l) => lines.push(l) })).toEqual([
      { id: image.imageId, tags: ['busybox:latest'] },
    ]);
    expect(lines).toEqual(['Loaded image: busybox:latest']);
    await engine.images.tag('busybox', 'registry.example:5000/tools/busybox');
    const inspect = engine.images.inspect('busybox');
    expect(inspect).toMatchObject({
      Id: image.imageId,
      RepoTags: ['busybox:latest', 'registry.example:5000/tools/busybox:latest'],
      Config: { Cmd: ['/bin/sh'], Labels: { team: 'storage' } },
      Architecture: 'amd64',
      Os: 'linux',
      RootFS: { Type: 'layers', Layers: image.diffIds },
      GraphDriver: { Name: 'overlay2', Data: { UpperDir: expect.stringMatching(/overlay2\/[0-9a-f]{64}\/diff$/) } },
    });
    expect(engine.images.list()).toEqual([
      expect.objectContaining({ Id: image.imageId, Labels: { team: 'storage' }, Size: inspect.Size, Containers: -1 }),
    ]);
    const imported = await engine.images.import(Readable.from([layer]), { reference: 'flat:1' });
    expect(engine.images.inspect('flat:1').Id).toBe(imported.id);

    await engine.close();
    expect(await mountPointsUnder(root)).toEqual([]);
    const again = await Engine.open({ root: engineRoot });
    try {
      expect(again.images.inspect('busybox:latest').Id).toBe(image.imageId);
      expect(again.images.list()).toHaveLength(2);
      expect(await again.images.remove('registry.example:5000/tools/busybox')).toEqual([
        { Untagged: 'registry.example:5000/tools/busybox:latest' },
      ]);
      expect(() => again.images.inspect('missing:1')).toThrow('No such image: missing:1');
    } finally {
      await again.close();
    }
  });
});
