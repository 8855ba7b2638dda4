using Ddnn.Core.Deploy;
using Ddnn.Core.Randomness;

namespace Ddnn.Core.Tests.Deploy;

public class ScoreQuantizerTests
{
    private static PackedExit RandomExit(SeededRandom rng, int channels, int height, int width, int classes)
    {
        var words = (channels + 63) / 64;
        var weights = new ulong[classes * height * width * words];
        var mask = channels % 64 == 0 ? ulong.MaxValue : (1UL << (channels % 64)) - 1;
        for (var i = 0; i < weights.Length; i++)
            weights[i] = rng.NextUInt64() & ((i % words) == words - 1 ? mask : ulong.MaxValue);
        var bias = new float[classes];
        var norm = new EvalBatchNorm[classes];
        for (var j = 0; j < classes; j++)
        {
            bias[j] = (float)(rng.NextDouble() * 4 - 2);
            // Negative scales too: the range's ends swap.
            norm[j] = new EvalBatchNorm((float)(rng.NextDouble() * 0.4 - 0.2), (float)(rng.NextDouble() * 2 - 1));
        }
        return new PackedExit(channels, height, width, classes, weights, bias, norm);
    }

    [Theory]
    [InlineData(4, 8, 8, 10)]
    [InlineData(3, 5, 7, 3)]
    [InlineData(70, 2, 2, 4)]
    public void Every_logit_of_a_binary_exit_lies_in_its_range_and_the_ends_are_reached(int channels, int height, int width, int classes)
    {
        var rng = new SeededRandom(21);
        var exit = RandomExit(rng, channels, height, width, classes);
        var quantizer = ScoreQuantizer.For(exit);
        var logits = new float[classes];
        var decoded = new float[classes];
        var codes = new byte[classes];
        var map = new ulong[exit.RowWords];
        var words = (channels + 63) / 64;
        var mask = channels % 64 == 0 ? ulong.MaxValue : (1UL << (channels % 64)) - 1;
        for (var trial = 0; trial < 100; trial++)
        {
            for (var i = 0; i < map.Length; i++) map[i] = rng.NextUInt64() & ((i % words) == words - 1 ? mask : ulong.MaxValue);
            exit.Run(map, logits);
            quantizer.Encode(logits, codes);
            quantizer.Decode(codes, decoded);
            for (var j = 0; j < classes; j++)
            {
                Assert.InRange(logits[j], quantizer.Lower[j], quantizer.Upper[j]);
                Assert.InRange(decoded[j] - logits[j], -quantizer.MaxError * 1.001f - 1e-6f, quantizer.MaxError * 1.001f + 1e-6f);
            }
        }
        // A map equal to class 0's weights gives its largest accumulator, the complement the smallest.
        exit.Weights.AsSpan(0, exit.RowWords).CopyTo(map);
        exit.Run(map, logits);
        Assert.True(logits[0] == quantizer.Lower[0] || logits[0] == quantizer.Upper[0], $"{logits[0]} not at an end of [{quantizer.Lower[0]}, {quantizer.Upper[0]}]");
    }
}
