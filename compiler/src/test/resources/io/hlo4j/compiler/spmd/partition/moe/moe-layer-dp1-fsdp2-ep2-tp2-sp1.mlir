module @jit_moe attributes {mhlo.num_partitions = 8 : i32, mhlo.num_replicas = 1 : i32} {
  sdy.mesh @mesh = <["dp"=1, "fsdp"=2, "ep"=2, "tp"=2, "sp"=1]>
  func.func public @main(%arg0: tensor<2x4x64xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"dp", "fsdp"}, {"sp"}, {}]>}, %arg1: tensor<64x8xf32>, %arg2: tensor<8x64x128xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"ep"}, {}, {"tp"}]>}, %arg3: tensor<8x64x128xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"ep"}, {}, {"tp"}]>}, %arg4: tensor<8x128x64xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"ep"}, {"tp"}, {}]>}) -> (tensor<2x4x64xf32>, tensor<8x8xf32>) {
    %0 = stablehlo.reshape %arg0 : (tensor<2x4x64xf32>) -> tensor<8x64xf32>
    %1 = stablehlo.reshape %arg0 : (tensor<2x4x64xf32>) -> tensor<8x64xf32>
    %2 = stablehlo.dot_general %1, %arg1, contracting_dims = [1] x [0] : (tensor<8x64xf32>, tensor<64x8xf32>) -> tensor<8x8xf32>
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
      %63 = stablehlo.compare  LT, %arg5, %arg6,  TOTALORDER : (tensor<f32>, tensor<f32>) -> tensor<i1>
      stablehlo.return %63 : tensor<i1>
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
    %27 = stablehlo.subtract %26, %c : tensor<16xi32>
    %c_3 = stablehlo.constant dense<0> : tensor<16xi32>
    %28 = stablehlo.compare  GE, %27, %c_3,  SIGNED : (tensor<16xi32>, tensor<16xi32>) -> tensor<16xi1>
    %c_4 = stablehlo.constant dense<8> : tensor<16xi32>
    %29 = stablehlo.compare  LT, %27, %c_4,  SIGNED : (tensor<16xi32>, tensor<16xi32>) -> tensor<16xi1>
    %30 = stablehlo.and %28, %29 : tensor<16xi1>
    %c_5 = stablehlo.constant dense<8> : tensor<16xi32>
    %31 = stablehlo.select %30, %27, %c_5 : tensor<16xi1>, tensor<16xi32>
    %32 = stablehlo.iota dim = 0 : tensor<16xi32>
    %33:2 = "stablehlo.sort"(%31, %32) <{dimension = 0 : i64, is_stable = true}> ({
    ^bb0(%arg5: tensor<i32>, %arg6: tensor<i32>, %arg7: tensor<i32>, %arg8: tensor<i32>):
      %63 = stablehlo.compare  LT, %arg5, %arg6,  SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %63 : tensor<i1>
    }) : (tensor<16xi32>, tensor<16xi32>) -> (tensor<16xi32>, tensor<16xi32>)
    %34 = stablehlo.reshape %0 : (tensor<8x64xf32>) -> tensor<8x1x64xf32>
    %35 = stablehlo.reshape %34 : (tensor<8x1x64xf32>) -> tensor<8x64xf32>
    %36 = stablehlo.broadcast_in_dim %35, dims = [0, 2] : (tensor<8x64xf32>) -> tensor<8x2x64xf32>
    %37 = stablehlo.reshape %36 : (tensor<8x2x64xf32>) -> tensor<16x64xf32>
    %38 = "stablehlo.gather"(%37, %33#1) <{dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 1, 64>}> : (tensor<16x64xf32>, tensor<16xi32>) -> tensor<16x64xf32>
    %39 = "stablehlo.gather"(%31, %33#1) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 1>}> : (tensor<16xi32>, tensor<16xi32>) -> tensor<16xi32>
    %c_6 = stablehlo.constant dense<0> : tensor<8xi32>
    %c_7 = stablehlo.constant dense<1> : tensor<16xi32>
    %40 = "stablehlo.scatter"(%c_6, %31, %c_7) <{indices_are_sorted = false, scatter_dimension_numbers = #stablehlo.scatter<inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, unique_indices = false}> ({
    ^bb0(%arg5: tensor<i32>, %arg6: tensor<i32>):
      %63 = stablehlo.add %arg5, %arg6 : tensor<i32>
      stablehlo.return %63 : tensor<i32>
    }) : (tensor<8xi32>, tensor<16xi32>, tensor<16xi32>) -> tensor<8xi32>
    %c_8 = stablehlo.constant dense<0> : tensor<16xi32>
    %41 = stablehlo.maximum %39, %c_8 : tensor<16xi32>
    %c_9 = stablehlo.constant dense<7> : tensor<16xi32>
    %42 = stablehlo.minimum %41, %c_9 : tensor<16xi32>
    %c_10 = stablehlo.constant dense<8> : tensor<16xi32>
    %43 = stablehlo.compare  LT, %39, %c_10,  SIGNED : (tensor<16xi32>, tensor<16xi32>) -> tensor<16xi1>
    %44 = stablehlo.reshape %43 : (tensor<16xi1>) -> tensor<16x1xi1>
    %45 = "chlo.ragged_dot"(%38, %arg2, %40) <{ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>}> : (tensor<16x64xf32>, tensor<8x64x128xf32>, tensor<8xi32>) -> tensor<16x128xf32>
    %46 = "chlo.ragged_dot"(%38, %arg3, %40) <{ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>}> : (tensor<16x64xf32>, tensor<8x64x128xf32>, tensor<8xi32>) -> tensor<16x128xf32>
    %47 = stablehlo.logistic %45 : tensor<16x128xf32>
    %48 = stablehlo.multiply %45, %47 : tensor<16x128xf32>
    %49 = stablehlo.multiply %48, %46 : tensor<16x128xf32>
    %50 = "chlo.ragged_dot"(%49, %arg4, %40) <{ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>}> : (tensor<16x128xf32>, tensor<8x128x64xf32>, tensor<8xi32>) -> tensor<16x64xf32>
    %51 = "stablehlo.gather"(%30, %33#1) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 1>}> : (tensor<16xi1>, tensor<16xi32>) -> tensor<16xi1>
    %52 = stablehlo.reshape %25 : (tensor<8x2xf32>) -> tensor<16xf32>
    %53 = "stablehlo.gather"(%52, %33#1) <{dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 1>}> : (tensor<16xf32>, tensor<16xi32>) -> tensor<16xf32>
    %cst_11 = stablehlo.constant dense<0.000000e+00> : tensor<f32>
    %54 = stablehlo.broadcast_in_dim %cst_11, dims = [] : (tensor<f32>) -> tensor<16xf32>
    %55 = stablehlo.select %51, %53, %54 : tensor<16xi1>, tensor<16xf32>
    %56 = stablehlo.reshape %55 : (tensor<16xf32>) -> tensor<16x1xf32>
    %57 = stablehlo.reshape %56 : (tensor<16x1xf32>) -> tensor<16xf32>
    %58 = stablehlo.broadcast_in_dim %57, dims = [0] : (tensor<16xf32>) -> tensor<16x64xf32>
    %59 = stablehlo.multiply %50, %58 : tensor<16x64xf32>
    %c_12 = stablehlo.constant dense<2> : tensor<16xi32>
    %60 = stablehlo.divide %33#1, %c_12 : tensor<16xi32>
    %cst_13 = stablehlo.constant dense<0.000000e+00> : tensor<8x64xf32>
    %61 = "stablehlo.scatter"(%cst_13, %60, %59) <{indices_are_sorted = false, scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, unique_indices = false}> ({
    ^bb0(%arg5: tensor<f32>, %arg6: tensor<f32>):
      %63 = stablehlo.add %arg5, %arg6 : tensor<f32>
      stablehlo.return %63 : tensor<f32>
    }) : (tensor<8x64xf32>, tensor<16xi32>, tensor<16x64xf32>) -> tensor<8x64xf32>
    %62 = stablehlo.reshape %61 : (tensor<8x64xf32>) -> tensor<2x4x64xf32>
    return %62, %2 : tensor<2x4x64xf32>, tensor<8x8xf32>
  }
}
