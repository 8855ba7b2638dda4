namespace Ddnn.Kernels.Binary;

/// <summary>
/// The sizes a fused float-input block (<see cref="EbnnBlock"/>'s FloatConvPoolSign) works with, derived once from a
/// checked conv and pool geometry so a run does no geometry arithmetic or validation of its own.
/// </summary>
internal readonly struct FloatBlockLayout
{
    /// <summary>Derives the sizes; <paramref name="conv"/> and <paramref name="pool"/> must already be checked.</summary>
    public FloatBlockLayout(BinaryConvGeometry conv, PoolGeometry pool)
    {
        Conv = conv;
        Pool = pool;
        Single = new BinaryConvGeometry(1, conv.InChannels, conv.Height, conv.Width, conv.OutChannels, conv.KernelH,
            conv.KernelW, conv.Stride, conv.Padding);
        OutHeight = conv.OutHeight;
        OutWidth = conv.OutWidth;
        PlaneLength = OutHeight * OutWidth;
        ImageLength = conv.InChannels * conv.Height * conv.Width;
        TapCount = conv.InChannels * conv.Taps;
        Words = BitPacking.WordsFor(conv.OutChannels);
        PooledHeight = pool.OutputSize(OutHeight);
        PooledWidth = pool.OutputSize(OutWidth);
        ImageWords = PooledHeight * PooledWidth * Words;
        Narrow = TunedShape.NarrowRows(OutWidth, pool.Padding);
        RowMaskWords = BlockSizes.ChannelGroup * OutHeight;
        PlanesOffset = BlockSizes.FloatPlanesOffset(conv);
        MasksOffset = BlockSizes.FloatMasksOffset(conv);
        SumsOffset = BlockSizes.FloatSumsOffset(conv, pool);
        TightWords = TightPacking.Words(PooledHeight * PooledWidth, conv.OutChannels);
    }

    public BinaryConvGeometry Conv { get; }
    public PoolGeometry Pool { get; }

    /// <summary><see cref="Conv"/> for one image: the per-image kernels run on it.</summary>
    public BinaryConvGeometry Single { get; }

    public int OutHeight { get; }
    public int OutWidth { get; }
    public int PooledHeight { get; }
    public int PooledWidth { get; }

    /// <summary>Floats of one conv output plane.</summary>
    public int PlaneLength { get; }

    /// <summary>Floats of one input image.</summary>
    public int ImageLength { get; }

    /// <summary>Sign masks per output channel (Cin·kH·kW).</summary>
    public int TapCount { get; }

    /// <summary>Words per output pixel.</summary>
    public int Words { get; }

    /// <summary>Words of one image's packed output.</summary>
    public int ImageWords { get; }

    /// <summary>True when a conv row with the pool padding fits one 64-bit mask.</summary>
    public bool Narrow { get; }

    /// <summary>Words of one kind of row mask (fire or NaN) for every conv row of a channel group.</summary>
    public int RowMaskWords { get; }

    /// <summary>Scratch offset (floats, from the first cache-line boundary) of a channel group's conv planes.</summary>
    public int PlanesOffset { get; }

    /// <summary>Scratch offset (floats) of the row masks or the pooling row of maxima.</summary>
    public int MasksOffset { get; }

    /// <summary>Scratch offset (floats) of the split-sum shortcut's row sums (<see cref="SplitSumPlan"/>).</summary>
    public int SumsOffset { get; }

    /// <summary>Words of one image's output in the tight packing (<see cref="TightPacking"/>).</summary>
    public int TightWords { get; }
}
