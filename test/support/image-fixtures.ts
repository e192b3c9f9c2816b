// The image fixtures live with the scripts (the demo and benchmarks build the same images).
export * from '../../scripts/fixtures/images';
