module @jit_moe attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["dp"=2, "fsdp"=1, "ep"=2, "tp"=1, "sp"=2]>
  func.func public @main(%arg0: tensor<2x4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp", "fsdp"}, {"sp"}, {}]>}, %arg1: tensor<8x8xf32>, %arg2: tensor<8x8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"ep"}, {}, {"tp"}]>}, %arg3: tensor<8x8x16xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"ep"}, {}, {"tp"}]>}, %arg4: tensor<8x16x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"ep"}, {"tp"}, {}]>}) -> (tensor<2x4x8xf32>, tensor<8x8xf32>) {
    %0 = stablehlo.reshape %arg0 : (tensor<2x4x8xf32>) -> tensor<8x8xf32>
    %1 = stablehlo.reshape %arg0 : (tensor<2x4x8xf32>) -> tensor<8x8xf32>
    %2 = stablehlo.dot_general %1, %arg1, contracting_dims = [1] x [0] : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
    %cst = stablehlo.constant dense<0xFF800000> : tensor<f32>
    %3 = stablehlo.reduce(%2 init: %cst) applies stablehlo.maximum across dimensions = [1] : (tensor<8x8xf32>, tensor<f32>) -> tensor<8xf32>
    %4 = stablehlo.reshape %3 : (tensor<8xf32>) -> tensor<8x1xf32>
    %5 = stablehlo.reshape %4 : (tensor<8x1xf32>) -> tensor<8xf32>
    %6 = stablehlo.broadcast_in_dim %5, dims = [0] : (tensor<8xf32>) -> tensor<8x8xf32>
    %7 = stablehlo.subtract %2, %6 : tensor<8x8xf32>
    %8 = stablehlo.exponential %7 : tensor<8x8xf32>
    %cst_0 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %9 = stablehlo.reduce(%8 init: %cst_0) applies stablehlo.add across dimensions = [1] : (tensor<8x8xf32>, tensor<f32>) -> tensor<8xf32>
    %10 = stablehlo.reshape %9 : (tensor<8xf32>) -> tensor<8x1xf32>
    %11 = stablehlo.reshape %10 : (tensor<8x1xf32>) -> tensor<8xf32>
    %12 = stablehlo.broadcast_in_dim %11, dims = [0] : (tensor<8xf32>) -> tensor<8x8xf32>
    %13 = stablehlo.divide %8, %12 : tensor<8x8xf32>
    %14 = stablehlo.negate %13 : tensor<8x8xf32>
    %15 = stablehlo.iota dim = 1 : tensor<8x8xi32>
    %16:2 = "stablehlo.sort"(%14, %15) <{dimension = 1 : i64, is_stable = true}> ({
    ^bb0(%arg5: tensor<f32>, %arg6: tensor<f32>, %arg7: tensor<i32>, %arg8: tensor<i32>):
      %72 = stablehlo.compare  LT, %arg5, %arg6,  TOTALORDER : (tensor<f32>, tensor<f32>) -> tensor<i1>
      stablehlo.return %72 : tensor<i1>
    }) : (tensor<8x8xf32>, tensor<8x8xi32>) -> (tensor<8x8xf32>, tensor<8x8xi32>)
    %17 = stablehlo.slice %16#1 [0:8, 0:2] : (tensor<8x8xi32>) -> tensor<8x2xi32>
    %18 = "stablehlo.gather"(%13, %17) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 2>, indices_are_sorted = false, slice_sizes = array<i64: 1, 1>}> : (tensor<8x8xf32>, tensor<8x2xi32>) -> tensor<8x2xf32>
    %cst_1 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %19 = stablehlo.reduce(%18 init: %cst_1) applies stablehlo.add across dimensions = [1] : (tensor<8x2xf32>, tensor<f32>) -> tensor<8xf32>
    %20 = stablehlo.reshape %19 : (tensor<8xf32>) -> tensor<8x1xf32>
    %cst_2 = stablehlo.constant dense<9.99999993E-9> : tensor<f32>
    %21 = stablehlo.broadcast_in_dim %cst_2, dims = [] : (tensor<f32>) -> tensor<8x1xf32>
    %22 = stablehlo.maximum %20, %21 : tensor<8x1xf32>
    %23 = stablehlo.reshape %22 : (tensor<8x1xf32>) -> tensor<8xf32>
    %24 = stablehlo.broadcast_in_dim %23, dims = [0] : (tensor<8xf32>) -> tensor<8x2xf32>
    %25 = stablehlo.divide %18, %24 : tensor<8x2xf32>
    %26 = stablehlo.reshape %17 : (tensor<8x2xi32>) -> tensor<16xi32>
    %c = stablehlo.constant dense<0> : tensor<16xi32>
    %27 = stablehlo.compare  GE, %26, %c,  SIGNED : (tensor<16xi32>, tensor<16xi32>) -> tensor<16xi1>
    %c_3 = stablehlo.constant dense<8> : tensor<16xi32>
    %28 = stablehlo.select %27, %26, %c_3 : tensor<16xi1>, tensor<16xi32>
    %29 = stablehlo.iota dim = 0 : tensor<16xi32>
    %30:2 = "stablehlo.sort"(%28, %29) <{dimension = 0 : i64, is_stable = true}> ({
    ^bb0(%arg5: tensor<i32>, %arg6: tensor<i32>, %arg7: tensor<i32>, %arg8: tensor<i32>):
      %72 = stablehlo.compare  LT, %arg5, %arg6,  SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %72 : tensor<i1>
    }) : (tensor<16xi32>, tensor<16xi32>) -> (tensor<16xi32>, tensor<16xi32>)
    %31 = stablehlo.reshape %0 : (tensor<8x8xf32>) -> tensor<8x1x8xf32>
    %32 = stablehlo.reshape %31 : (tensor<8x1x8xf32>) -> tensor<8x8xf32>
    %33 = stablehlo.broadcast_in_dim %32, dims = [0, 2] : (tensor<8x8xf32>) -> tensor<8x2x8xf32>
    %34 = stablehlo.reshape %33 : (tensor<8x2x8xf32>) -> tensor<16x8xf32>
    %35 = "stablehlo.gather"(%34, %30#1) <{dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 1, 8>}> : (tensor<16x8xf32>, tensor<16xi32>) -> tensor<16x8xf32>
    %c_4 = stablehlo.constant dense<0> : tensor<8xi32>
    %c_5 = stablehlo.constant dense<1> : tensor<16xi32>
    %36 = "stablehlo.scatter"(%c_4, %26, %c_5) <{indices_are_sorted = false, scatter_dimension_numbers = #stablehlo.scatter<inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, unique_indices = false}> ({
    ^bb0(%arg5: tensor<i32>, %arg6: tensor<i32>):
      %72 = stablehlo.add %arg5, %arg6 : tensor<i32>
      stablehlo.return %72 : tensor<i32>
    }) : (tensor<8xi32>, tensor<16xi32>, tensor<16xi32>) -> tensor<8xi32>
    %37 = "stablehlo.gather"(%28, %30#1) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 1>}> : (tensor<16xi32>, tensor<16xi32>) -> tensor<16xi32>
    %c_6 = stablehlo.constant dense<0> : tensor<16xi32>
    %38 = stablehlo.maximum %37, %c_6 : tensor<16xi32>
    %c_7 = stablehlo.constant dense<7> : tensor<16xi32>
    %39 = stablehlo.minimum %38, %c_7 : tensor<16xi32>
    %c_8 = stablehlo.constant dense<8> : tensor<16xi32>
    %40 = stablehlo.compare  LT, %37, %c_8,  SIGNED : (tensor<16xi32>, tensor<16xi32>) -> tensor<16xi1>
    %41 = stablehlo.reshape %40 : (tensor<16xi1>) -> tensor<16x1xi1>
    %42 = "chlo.ragged_dot"(%35, %arg2, %36) <{ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>}> : (tensor<16x8xf32>, tensor<8x8x16xf32>, tensor<8xi32>) -> tensor<16x16xf32>
    %43 = "chlo.ragged_dot"(%35, %arg3, %36) <{ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>}> : (tensor<16x8xf32>, tensor<8x8x16xf32>, tensor<8xi32>) -> tensor<16x16xf32>
    %44 = stablehlo.multiply %42, %42 : tensor<16x16xf32>
    %45 = stablehlo.multiply %44, %42 : tensor<16x16xf32>
    %cst_9 = stablehlo.constant dense<4.471500e-02> : tensor<f32>
    %46 = stablehlo.broadcast_in_dim %cst_9, dims = [] : (tensor<f32>) -> tensor<16x16xf32>
    %47 = stablehlo.multiply %45, %46 : tensor<16x16xf32>
    %48 = stablehlo.add %42, %47 : tensor<16x16xf32>
    %cst_10 = stablehlo.constant dense<0.797884583> : tensor<f32>
    %49 = stablehlo.broadcast_in_dim %cst_10, dims = [] : (tensor<f32>) -> tensor<16x16xf32>
    %50 = stablehlo.multiply %48, %49 : tensor<16x16xf32>
    %cst_11 = stablehlo.constant dense<5.000000e-01> : tensor<f32>
    %51 = stablehlo.broadcast_in_dim %cst_11, dims = [] : (tensor<f32>) -> tensor<16x16xf32>
    %52 = stablehlo.multiply %42, %51 : tensor<16x16xf32>
    %53 = stablehlo.tanh %50 : tensor<16x16xf32>
    %cst_12 = stablehlo.constant dense<1.000000e+00> : tensor<f32>
    %54 = stablehlo.broadcast_in_dim %cst_12, dims = [] : (tensor<f32>) -> tensor<16x16xf32>
    %55 = stablehlo.add %53, %54 : tensor<16x16xf32>
    %56 = stablehlo.multiply %52, %55 : tensor<16x16xf32>
    %57 = stablehlo.multiply %56, %43 : tensor<16x16xf32>
    %58 = "chlo.ragged_dot"(%57, %arg4, %36) <{ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>}> : (tensor<16x16xf32>, tensor<8x16x8xf32>, tensor<8xi32>) -> tensor<16x8xf32>
    %59 = stablehlo.iota dim = 0 : tensor<16xi32>
    %60:2 = "stablehlo.sort"(%30#1, %59) <{dimension = 0 : i64, is_stable = true}> ({
    ^bb0(%arg5: tensor<i32>, %arg6: tensor<i32>, %arg7: tensor<i32>, %arg8: tensor<i32>):
      %72 = stablehlo.compare  LT, %arg5, %arg6,  SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %72 : tensor<i1>
    }) : (tensor<16xi32>, tensor<16xi32>) -> (tensor<16xi32>, tensor<16xi32>)
    %61 = "stablehlo.gather"(%58, %60#1) <{dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 1, 8>}> : (tensor<16x8xf32>, tensor<16xi32>) -> tensor<16x8xf32>
    %62 = stablehlo.reshape %61 : (tensor<16x8xf32>) -> tensor<8x2x8xf32>
    %c_13 = stablehlo.constant dense<0> : tensor<8x2xi32>
    %63 = stablehlo.compare  GE, %17, %c_13,  SIGNED : (tensor<8x2xi32>, tensor<8x2xi32>) -> tensor<8x2xi1>
    %cst_14 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %64 = stablehlo.broadcast_in_dim %cst_14, dims = [] : (tensor<f32>) -> tensor<8x2xf32>
    %65 = stablehlo.select %63, %25, %64 : tensor<8x2xi1>, tensor<8x2xf32>
    %66 = stablehlo.reshape %65 : (tensor<8x2xf32>) -> tensor<8x2x1xf32>
    %67 = stablehlo.reshape %66 : (tensor<8x2x1xf32>) -> tensor<8x2xf32>
    %68 = stablehlo.broadcast_in_dim %67, dims = [0, 1] : (tensor<8x2xf32>) -> tensor<8x2x8xf32>
    %69 = stablehlo.multiply %62, %68 : tensor<8x2x8xf32>
    %cst_15 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %70 = stablehlo.reduce(%69 init: %cst_15) applies stablehlo.add across dimensions = [1] : (tensor<8x2x8xf32>, tensor<f32>) -> tensor<8x8xf32>
    %71 = stablehlo.reshape %70 : (tensor<8x8xf32>) -> tensor<2x4x8xf32>
    return %71, %2 : tensor<2x4x8xf32>, tensor<8x8xf32>
  }
}
