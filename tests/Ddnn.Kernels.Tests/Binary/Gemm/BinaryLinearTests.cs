using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

public class BinaryLinearTests
{
    /// <summary>Feature maps whose rows are 12 words (short-row kernel) and 36 words (the long-row tiles).</summary>
    public static TheoryData<KernelPath, int> PathsAndHeights()
    {
        var data = new TheoryData<KernelPath, int>();
        foreach (var path in Enum.GetValues<KernelPath>())
            foreach (var height in new[] { 3, 9 })
                data.Add(path, height);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(PathsAndHeights))]
    public void PackedFeatureMapTimesPackedWeightsEqualsFloatLinearOnSigns(KernelPath path, int height)
    {
        KernelPaths.SkipUnsupported(path);
        var random = new Random(41);
        const int batch = 3, channels = 70, width = 2, outFeatures = 5;
        var features = channels * height * width;
        var input = BinaryReference.RandomFloats(random, batch * features);
        var latent = BinaryReference.RandomFloats(random, outFeatures * features);
        var scale = BinaryReference.RandomFloats(random, outFeatures);
        var offset = BinaryReference.RandomFloats(random, outFeatures);

        var wordsPerRow = height * width * BitPacking.WordsFor(channels);
        var packedInput = new ulong[batch * wordsPerRow];
        var packedWeights = new ulong[outFeatures * wordsPerRow];
        BitPacking.PackNchw(input, batch, channels, height, width, packedInput);
        BitPacking.PackConvWeights(latent, outFeatures, channels, height, width, packedWeights);

        var logits = new float[batch * outFeatures];
        using (KernelDispatch.Use(path))
            BinaryLinear.Forward(packedInput, batch, packedWeights, outFeatures, wordsPerRow, features, scale, offset, logits);
        for (var r = 0; r < batch; r++)
        for (var o = 0; o < outFeatures; o++)
        {
            var acc = 0;
            for (var f = 0; f < features; f++)
                acc += (int)(BinaryReference.Sign(input[r * features + f]) * BinaryReference.Sign(latent[o * features + f]));
            Assert.Equal(acc * scale[o] + offset[o], logits[r * outFeatures + o]);
        }
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            BinaryLinear.Forward(new ulong[4], 2, new ulong[6], 3, 2, 100, new float[2], new float[3], new float[6]));
        Assert.Equal("scale", error.ParamName);
        error = Assert.Throws<ArgumentException>(() =>
            BinaryLinear.Forward(new ulong[4], 2, new ulong[5], 3, 2, 100, new float[3], new float[3], new float[6]));
        Assert.Equal("weights", error.ParamName);
    }
}
