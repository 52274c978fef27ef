// hlo4j demo: one Mixtral-style sparse MoE block, written by hand in StableHLO.
//
//   logits = x . w_router                      router, one score per (token, expert)
//   gates  = softmax over each token's two best logits, 0 for the other experts
//   y      = sum_e gates[:, e] * ((silu(x . w1[e]) * (x . w3[e])) . w2[e])     SwiGLU experts
//
// Sizes: 8 tokens, hidden 16, 4 experts, FFN 32. Ties go to the lower expert index (as top_k does).
// The experts run densely and are weighted by the gates, which are zero for experts a token was not
// routed to: the same numbers as a sparse dispatch, with static shapes and no gather/scatter.
// Results: the block output and the router logits (which a load-balancing loss consumes).
module @moe_block {
  func.func public @main(%arg0: tensor<8x16xf32>, %arg1: tensor<16x4xf32>, %arg2: tensor<4x16x32xf32>, %arg3: tensor<4x16x32xf32>, %arg4: tensor<4x32x16xf32>) -> (tensor<8x16xf32>, tensor<8x4xf32>) {
    %cst = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %cst_0 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %c = stablehlo.constant dense<4> : tensor<i32>
    // Router logits [tokens, experts] and the expert index of each column.
    %0 = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
    %1 = stablehlo.iota dim = 1 : tensor<8x4xi32>
    %2 = stablehlo.broadcast_in_dim %c, dims = [] : (tensor<i32>) -> tensor<8x4xi32>
    // First choice: the lowest index whose logit equals the row maximum.
    %3 = stablehlo.reduce(%0 init: %cst) applies stablehlo.maximum across dimensions = [1] : (tensor<8x4xf32>, tensor<f32>) -> tensor<8xf32>
    %4 = stablehlo.broadcast_in_dim %3, dims = [0] : (tensor<8xf32>) -> tensor<8x4xf32>
    %5 = stablehlo.compare  EQ, %0, %4,  FLOAT : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xi1>
    %6 = stablehlo.select %5, %1, %2 : tensor<8x4xi1>, tensor<8x4xi32>
    %7 = stablehlo.reduce(%6 init: %c) applies stablehlo.minimum across dimensions = [1] : (tensor<8x4xi32>, tensor<i32>) -> tensor<8xi32>
    %8 = stablehlo.broadcast_in_dim %7, dims = [0] : (tensor<8xi32>) -> tensor<8x4xi32>
    %9 = stablehlo.compare  EQ, %1, %8,  SIGNED : (tensor<8x4xi32>, tensor<8x4xi32>) -> tensor<8x4xi1>
    // Second choice: the same after masking the first choice to -inf.
    %10 = stablehlo.broadcast_in_dim %cst, dims = [] : (tensor<f32>) -> tensor<8x4xf32>
    %11 = stablehlo.select %9, %10, %0 : tensor<8x4xi1>, tensor<8x4xf32>
    %12 = stablehlo.reduce(%11 init: %cst) applies stablehlo.maximum across dimensions = [1] : (tensor<8x4xf32>, tensor<f32>) -> tensor<8xf32>
    %13 = stablehlo.broadcast_in_dim %12, dims = [0] : (tensor<8xf32>) -> tensor<8x4xf32>
    %14 = stablehlo.compare  EQ, %11, %13,  FLOAT : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xi1>
    %15 = stablehlo.select %14, %1, %2 : tensor<8x4xi1>, tensor<8x4xi32>
    %16 = stablehlo.reduce(%15 init: %c) applies stablehlo.minimum across dimensions = [1] : (tensor<8x4xi32>, tensor<i32>) -> tensor<8xi32>
    %17 = stablehlo.broadcast_in_dim %16, dims = [0] : (tensor<8xi32>) -> tensor<8x4xi32>
    %18 = stablehlo.compare  EQ, %1, %17,  SIGNED : (tensor<8x4xi32>, tensor<8x4xi32>) -> tensor<8x4xi1>
    %19 = stablehlo.or %9, %18 : tensor<8x4xi1>
    // Gates: exp(logit - max) on the two chosen experts, renormalised to sum to 1 per token.
    %20 = stablehlo.subtract %0, %4 : tensor<8x4xf32>
    %21 = stablehlo.exponential %20 : tensor<8x4xf32>
    %22 = stablehlo.broadcast_in_dim %cst_0, dims = [] : (tensor<f32>) -> tensor<8x4xf32>
    %23 = stablehlo.select %19, %21, %22 : tensor<8x4xi1>, tensor<8x4xf32>
    %24 = stablehlo.reduce(%23 init: %cst_0) applies stablehlo.add across dimensions = [1] : (tensor<8x4xf32>, tensor<f32>) -> tensor<8xf32>
    %25 = stablehlo.broadcast_in_dim %24, dims = [0] : (tensor<8xf32>) -> tensor<8x4xf32>
    %26 = stablehlo.divide %23, %25 : tensor<8x4xf32>
    // Experts: h = silu(x . w1[e]) * (x . w3[e]), shape [tokens, experts, ffn]; y_e = h[:, e] . w2[e].
    %27 = stablehlo.dot_general %arg0, %arg2, contracting_dims = [1] x [1] : (tensor<8x16xf32>, tensor<4x16x32xf32>) -> tensor<8x4x32xf32>
    %28 = stablehlo.dot_general %arg0, %arg3, contracting_dims = [1] x [1] : (tensor<8x16xf32>, tensor<4x16x32xf32>) -> tensor<8x4x32xf32>
    %29 = stablehlo.logistic %27 : tensor<8x4x32xf32>
    %30 = stablehlo.multiply %27, %29 : tensor<8x4x32xf32>
    %31 = stablehlo.multiply %30, %28 : tensor<8x4x32xf32>
    %32 = stablehlo.dot_general %31, %arg4, batching_dims = [1] x [0], contracting_dims = [2] x [1] : (tensor<8x4x32xf32>, tensor<4x32x16xf32>) -> tensor<4x8x16xf32>
    // Combine: y[t] = sum_e gates[t, e] * y_e[t].
    %33 = stablehlo.transpose %26, dims = [1, 0] : (tensor<8x4xf32>) -> tensor<4x8xf32>
    %34 = stablehlo.broadcast_in_dim %33, dims = [0, 1] : (tensor<4x8xf32>) -> tensor<4x8x16xf32>
    %35 = stablehlo.multiply %32, %34 : tensor<4x8x16xf32>
    %36 = stablehlo.reduce(%35 init: %cst_0) applies stablehlo.add across dimensions = [0] : (tensor<4x8x16xf32>, tensor<f32>) -> tensor<8x16xf32>
    return %36, %0 : tensor<8x16xf32>, tensor<8x4xf32>
  }
}
