package dev.mixtral4j.backend.cuda.internal;

/** Grid and block dimensions plus dynamic shared memory of one kernel launch. */
public record LaunchConfig(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes) {

    /** CUDA limits: grid y and z at most 65535, a block at most 1024 threads. */
    public LaunchConfig {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || gridY > 65535 || gridZ > 65535) {
            throw new IllegalArgumentException("grid " + gridX + "x" + gridY + "x" + gridZ + " outside CUDA limits");
        }
        if (blockX < 1 || blockY < 1 || blockZ < 1 || (long) blockX * blockY * blockZ > 1024) {
            throw new IllegalArgumentException("block " + blockX + "x" + blockY + "x" + blockZ + " outside CUDA limits");
        }
        if (sharedBytes < 0) {
            throw new IllegalArgumentException("negative shared memory " + sharedBytes);
        }
    }

    public static LaunchConfig of(int gridX, int gridY, int gridZ, int block, int sharedBytes) {
        return new LaunchConfig(gridX, gridY, gridZ, block, 1, 1, sharedBytes);
    }

    public long threads() {
        return (long) gridX * gridY * gridZ * blockX * blockY * blockZ;
    }

    @Override
    public String toString() {
        return "grid " + gridX + "x" + gridY + "x" + gridZ + " block " + blockX + "x" + blockY + "x" + blockZ
                + (sharedBytes > 0 ? " smem " + sharedBytes : "");
    }
}
