export * from '../../scripts/fixtures/containers';
